// Checkpoint files: named by step, written through AtomicFile, the newest few kept.
#include "engine/checkpoint.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace wb::engine {
namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "ckpt-";
constexpr const char* kSuffix = ".pt";

int64_t step_of(const fs::path& p) {
    const std::string name = p.filename().string();
    const std::size_t pre = std::strlen(kPrefix), suf = std::strlen(kSuffix);
    if (name.size() <= pre + suf || name.compare(0, pre, kPrefix) != 0 ||
        name.compare(name.size() - suf, suf, kSuffix) != 0)
        return -1;
    const std::string digits = name.substr(pre, name.size() - pre - suf);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return -1;
    return std::stoll(digits);
}

}  // namespace

std::string write_checkpoint(const std::string& dir, int64_t step,
                             const std::function<void(torch::serialize::OutputArchive&)>& fill,
                             int keep) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw std::runtime_error("cannot create checkpoint folder " + dir + ": " + ec.message());
    torch::serialize::OutputArchive archive;
    fill(archive);
    std::string bytes;
    archive.save_to([&bytes](const void* data, size_t n) {
        bytes.append(static_cast<const char*>(data), n);
        return n;
    });
    const std::string path = (fs::path(dir) / (kPrefix + std::to_string(step) + kSuffix)).string();
    write_file_atomic(path, bytes);
    auto all = list_checkpoints(dir);
    for (std::size_t i = static_cast<std::size_t>(std::max(keep, 1)); i < all.size(); ++i)
        fs::remove(all[i], ec);
    return path;
}

int remove_checkpoints(const std::string& dir) {
    std::vector<fs::path> doomed;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        const bool torn = p.extension() == ".tmp" && step_of(fs::path(p).replace_extension()) >= 0;
        if (it->is_regular_file() && (step_of(p) >= 0 || torn)) doomed.push_back(p);
    }
    for (const fs::path& p : doomed)
        if (!fs::remove(p, ec) && ec)
            throw std::runtime_error("cannot remove the old checkpoint " + p.string() + ": " +
                                     ec.message());
    return static_cast<int>(doomed.size());
}

std::vector<std::string> list_checkpoints(const std::string& dir) {
    std::vector<std::pair<int64_t, std::string>> found;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const int64_t s = step_of(it->path());
        if (s >= 0 && it->is_regular_file()) found.emplace_back(s, it->path().string());
    }
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::string> paths;
    for (auto& f : found) paths.push_back(std::move(f.second));
    return paths;
}

}  // namespace wb::engine
