// Users' own presets: one JSON file each in the XDG config folder, and --preset's lookup.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "engine/api/paths.h"
#include "engine/api/presets.h"

namespace wb::api {
namespace {

namespace fs = std::filesystem;

bool looks_like_file(const std::string& s) {
    return s.find('/') != std::string::npos ||
           (s.size() > 5 && s.compare(s.size() - 5, 5, ".json") == 0);
}

}  // namespace

std::string user_presets_dir() {
    return (fs::path(user_config_dir()) / "presets").string();
}

std::optional<Preset> load_preset_file(const std::string& path, std::string* error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *error = "cannot read preset file " + path + ": no such file or not readable";
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto p = parse_preset(text.str(), path, error);
    if (p) p->path = path;
    return p;
}

std::vector<Preset> user_presets(std::vector<std::string>* problems) {
    std::vector<Preset> out;
    std::error_code ec;
    const fs::path dir = user_presets_dir();
    if (!fs::is_directory(dir, ec)) return out;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    std::set<std::string> names;
    for (const auto& f : files) {
        std::string error;
        auto p = load_preset_file(f.string(), &error);
        if (p && find_preset(p->name))
            error = f.string() + ": '" + p->name +
                    "' is a built-in preset's name; give this one another \"name\"";
        else if (p && names.count(p->name))
            error = f.string() + ": another file already holds a preset named '" + p->name + "'";
        else if (p) {
            names.insert(p->name);
            out.push_back(std::move(*p));
            continue;
        }
        if (problems) problems->push_back(error);
    }
    std::sort(out.begin(), out.end(),
              [](const Preset& a, const Preset& b) { return a.name < b.name; });
    return out;
}

std::string user_preset_file_name(const std::string& name) {
    std::string file;
    for (const char c : name) {
        const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ' ';
        file += safe ? c : '-';
    }
    if (file.empty() || file.front() == '.') file.insert(file.begin(), 'p');
    return file + ".json";
}

std::string save_user_preset(const Preset& preset, std::string* error) {
    if (preset.name.empty()) {
        *error = "a preset needs a name";
        return {};
    }
    if (find_preset(preset.name)) {
        *error = "'" + preset.name + "' is the name of a built-in preset; choose another name";
        return {};
    }
    const fs::path dir = user_presets_dir();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        *error = "cannot create the presets folder " + dir.string() + ": " + ec.message();
        return {};
    }
    const fs::path path = dir / user_preset_file_name(preset.name);
    const std::string text = preset_file_text(preset);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        *error = "cannot write " + path.string() + " (disk full or no permission)";
        return {};
    }
    return path.string();
}

std::optional<Preset> resolve_preset(const std::string& name_or_file, std::string* error) {
    if (const Preset* p = find_preset(name_or_file)) return *p;
    for (auto& p : user_presets())
        if (p.name == name_or_file) return p;
    if (looks_like_file(name_or_file)) return load_preset_file(name_or_file, error);
    std::string names;
    for (const auto& p : presets()) names += (names.empty() ? "" : ", ") + p.name;
    for (const auto& p : user_presets()) names += ", " + p.name;
    *error = "no preset '" + name_or_file + "' (presets: " + names +
             "; or give a preset file: --preset FILE.json)";
    return std::nullopt;
}

}  // namespace wb::api
