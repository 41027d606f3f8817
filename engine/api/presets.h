// Presets: complete, validated starting points that need no download. The built-in ones are the
// files of resources/presets/, compiled in; users' own live in user_presets_dir().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/api/run_config.h"

namespace wb::api {

struct Preset {
    std::string name;
    std::string description;
    RunConfig config;
    std::string path;  ///< the file a user preset was read from; empty for a built-in one
};

/// The built-in presets: `kDefaultPreset` first, then by name.
const std::vector<Preset>& presets();
/// The built-in preset called `name`; nullptr when there is none.
const Preset* find_preset(const std::string& name);
inline constexpr const char* kDefaultPreset = "gan-mixture2d";

/// Parses a preset file's text, {"name", "description", "overlay"}: the overlay is applied to the
/// schema defaults and validated. nullopt with `error` naming `origin` and every problem.
std::optional<Preset> parse_preset(const std::string& text, const std::string& origin,
                                   std::string* error);
/// The preset file's text for `preset`; the whole config is its overlay, so that it keeps
/// meaning the same run when defaults change.
std::string preset_file_text(const Preset& preset);

/// $XDG_CONFIG_HOME/genai-workbench/presets, else ~/.config/genai-workbench/presets.
std::string user_presets_dir();
/// Reads one preset file; nullopt with `error` saying which file and why.
std::optional<Preset> load_preset_file(const std::string& path, std::string* error);
/// Every *.json in user_presets_dir(), by name. Files that cannot be used are skipped and
/// described in `problems` (when given), one line each.
std::vector<Preset> user_presets(std::vector<std::string>* problems = nullptr);
/// Writes `preset` to user_presets_dir()/NAME.json (creating the folder) and returns that path;
/// empty with `error` on failure. A user preset may not take a built-in preset's name.
std::string save_user_preset(const Preset& preset, std::string* error);
/// The file name save_user_preset() uses for `name`: characters unsafe in file names become '-'.
std::string user_preset_file_name(const std::string& name);

/// What `--preset` accepts: a path to a preset file (it ends in .json or names a folder), a
/// built-in name, or a user preset's name. nullopt with `error` saying what was tried.
std::optional<Preset> resolve_preset(const std::string& name_or_file, std::string* error);

}  // namespace wb::api
