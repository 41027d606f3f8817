// Checks of a RunConfig beyond validate(), made before a run is created: settings that are allowed
// but probably not meant, and data files that are not there.
#pragma once

#include <vector>

#include "engine/api/run_config.h"

namespace wb::api {

/// Where the data readers look when data.path is empty (Debian's dataset packages); the engine's
/// readers name the same folders (a test keeps them equal).
inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";
inline constexpr const char* kDefaultTextDir = "/usr/share/games/fortunes";

/// Allowed but probably not meant: a step after train.steps (a later Continue may still reach
/// it). Never blocks a start.
std::vector<ConfigError> config_warnings(const RunConfig& config);

/// The data a run would read is missing (no such file or folder, or the default dataset is not
/// installed): checked before a run is created, so that it never becomes a failed row. The
/// readers still check the contents.
std::vector<ConfigError> data_path_problems(const RunConfig& config);

}  // namespace wb::api
