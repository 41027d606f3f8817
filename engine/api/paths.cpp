// Resolves the app's data folder from the environment (XDG base directory spec), and names and
// finds checkpoint files.
#include "engine/api/paths.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <utility>

#include <pwd.h>
#include <unistd.h>

namespace wb::api {
namespace {

constexpr const char* kCheckpointPrefix = "ckpt-";
constexpr const char* kCheckpointSuffix = ".pt";

std::string home_dir() {
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
    // Services and some sandboxes run without HOME; the password database still knows it.
    if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr)
        return pw->pw_dir;
    return ".";
}

// The XDG spec says relative values are invalid and must be ignored.
std::filesystem::path xdg_base(const char* variable, const std::filesystem::path& fallback) {
    const char* xdg = std::getenv(variable);
    if (xdg != nullptr && *xdg != '\0' && std::filesystem::path(xdg).is_absolute()) return xdg;
    return std::filesystem::path(home_dir()) / fallback;
}

}  // namespace

std::string checkpoint_dir_of(const std::string& db_path, int64_t run_id,
                              const std::string& stored) {
    const std::string tail = ".d/run-" + std::to_string(run_id);
    const bool default_layout = stored.size() > tail.size() &&
                                stored.compare(stored.size() - tail.size(), tail.size(), tail) == 0;
    return stored.empty() || default_layout ? run_files_dir(db_path, run_id) : stored;
}

std::string checkpoint_file_name(int64_t step) {
    return kCheckpointPrefix + std::to_string(step) + kCheckpointSuffix;
}

int64_t checkpoint_step(const std::string& name) {
    const std::string prefix = kCheckpointPrefix, suffix = kCheckpointSuffix;
    if (name.size() <= prefix.size() + suffix.size() ||
        name.compare(0, prefix.size(), prefix) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
        return -1;
    const std::string digits =
        name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (digits.size() > 18 ||
        !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }))
        return -1;
    return std::stoll(digits);
}

std::vector<std::string> list_checkpoint_files(const std::string& dir) {
    namespace fs = std::filesystem;
    std::vector<std::pair<int64_t, std::string>> found;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const int64_t step = checkpoint_step(it->path().filename().string());
        std::error_code type_ec;
        if (step >= 0 && it->is_regular_file(type_ec))
            found.emplace_back(step, it->path().string());
    }
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::string> paths;
    for (auto& f : found) paths.push_back(std::move(f.second));
    return paths;
}

std::string user_data_dir() {
    return (xdg_base("XDG_DATA_HOME", std::filesystem::path(".local") / "share") /
            "genai-workbench")
        .string();
}

std::string user_config_dir() {
    return (xdg_base("XDG_CONFIG_HOME", ".config") / "genai-workbench").string();
}

}  // namespace wb::api
