// Where a run's files and the app's shared data live, shared by the CLI, the app and the tests.
// Checkpoints of run 7 in /x/runs.sqlite go to /x/runs.sqlite.d/run-7/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/api/run_config.h"

namespace wb::api {

/// Where the data readers look when data.path is empty (Debian's dataset packages).
inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";
inline constexpr const char* kDefaultTextDir = "/usr/share/games/fortunes";

inline std::string run_files_dir(const std::string& db_path, int64_t run_id) {
    return db_path + ".d/run-" + std::to_string(run_id);
}

/// The app's data folder: $XDG_DATA_HOME/genai-workbench, else ~/.local/share/genai-workbench.
/// The default run database and cached files (the FID feature extractor) live here.
std::string user_data_dir();

/// The data a run would read is missing (no such file or folder, or the default dataset is not
/// installed): checked before a run is created, so that it never becomes a failed row. The
/// readers still check the contents.
std::vector<ConfigError> data_path_problems(const RunConfig& config);

}  // namespace wb::api
