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

}  // namespace

std::string user_data_dir() {
    std::filesystem::path base;
    // The XDG spec says relative values are invalid and must be ignored.
    const char* xdg = std::getenv("XDG_DATA_HOME");
    if (xdg != nullptr && *xdg != '\0' && std::filesystem::path(xdg).is_absolute())
        base = xdg;
    else
        base = std::filesystem::path(home_dir()) / ".local" / "share";
    return (base / "genai-workbench").string();
}

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
    }
    return {};
}

}  // namespace wb::api
