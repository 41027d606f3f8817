// Built-in presets: complete, validated starting points that need no download.
// `gan-mixture2d` is the embedded default the app and CLI open with.
#pragma once

#include <string>
#include <vector>

#include "engine/api/run_config.h"

namespace wb::api {

struct Preset {
    std::string name;
    std::string description;
    RunConfig config;
};

const std::vector<Preset>& presets();
/// nullptr when no preset has that name.
const Preset* find_preset(const std::string& name);
inline constexpr const char* kDefaultPreset = "gan-mixture2d";

}  // namespace wb::api
