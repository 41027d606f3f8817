// Preflight checks: warnings about steps after the end, and data paths that do not exist.
#include "engine/api/preflight.h"

#include <filesystem>
#include <string>

namespace wb::api {

std::vector<ConfigError> config_warnings(const RunConfig& c) {
    std::vector<ConfigError> found;
    const auto after_end = [&](const char* key, int64_t step, const char* effect) {
        if (step > c.train.steps)
            found.push_back({key, std::to_string(step) + " is after the last step (train.steps " +
                                      std::to_string(c.train.steps) + "), so " + effect +
                                      " in this run; lower it unless you will continue the run"});
    };
    if (c.sampler.kind == "curriculum")
        after_end("sampler.full_at_step", c.sampler.full_at_step,
                  "the pool never grows to all of the data");
    if (c.sampler.kind == "hard")
        after_end("sampler.stale_after", c.sampler.stale_after, "no score ever goes stale");
    return found;
}

namespace {

const char* kind_of(const std::filesystem::file_status& st) {
    namespace fs = std::filesystem;
    switch (st.type()) {
        case fs::file_type::character:
            return "a character device";
        case fs::file_type::block:
            return "a block device";
        case fs::file_type::fifo:
            return "a FIFO (named pipe)";
        case fs::file_type::socket:
            return "a socket";
        default:
            return "not a regular file";
    }
}

}  // namespace

std::vector<ConfigError> data_path_problems(const RunConfig& config) {
    namespace fs = std::filesystem;
    const std::string& path = config.data.path;
    std::error_code ec;
    if (config.data.name == "fashion_mnist") {
        if (path.empty() && !fs::is_directory(kDefaultFashionMnistDir, ec))
            return {{"data.path", std::string("Fashion-MNIST is not installed in ") +
                                      kDefaultFashionMnistDir +
                                      "; install Debian's dataset-fashion-mnist package or set "
                                      "data.path to a folder with the IDX files"}};
        if (!path.empty() && !fs::is_directory(path, ec))
            return {{"data.path",
                     path + (fs::exists(path, ec) ? " is not a folder" : ": no such folder") +
                         "; set data.path to the folder holding the Fashion-MNIST "
                         "IDX files"}};
    } else if (config.data.name == "text") {
        if (path.empty() && !fs::is_directory(kDefaultTextDir, ec))
            return {{"data.path", std::string("the fortunes corpus is not installed in ") +
                                      kDefaultTextDir +
                                      "; install Debian's fortunes package or set data.path to "
                                      "a text file or folder"}};
        if (!path.empty() && !fs::exists(path, ec))
            return {{"data.path", path + ": no such file or folder; check data.path"}};
        // A device never ends (/dev/zero) and a FIFO may never answer: only files and folders.
        const fs::file_status st = fs::status(path, ec);
        if (!path.empty() && !ec && !fs::is_regular_file(st) && !fs::is_directory(st))
            return {{"data.path", path + " is " + kind_of(st) +
                                      ", not a regular file, so reading it might never end; "
                                      "set data.path to a text file or a folder of them"}};
    }
    return {};
}

}  // namespace wb::api
