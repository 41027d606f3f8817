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

}  // namespace wb::api
