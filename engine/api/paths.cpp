// Resolves the app's data folder from the environment (XDG base directory spec).
#include "engine/api/paths.h"

#include <cstdlib>
#include <filesystem>

#include <pwd.h>
#include <unistd.h>

namespace wb::api {
namespace {

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

std::string user_data_dir() {
    return (xdg_base("XDG_DATA_HOME", std::filesystem::path(".local") / "share") /
            "genai-workbench")
        .string();
}

std::string user_config_dir() {
    return (xdg_base("XDG_CONFIG_HOME", ".config") / "genai-workbench").string();
}

}  // namespace wb::api
