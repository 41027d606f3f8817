// Where a run's files and the app's shared data live, shared by the CLI, the app and the tests.
// Checkpoints of run 7 in /x/runs.sqlite go to /x/runs.sqlite.d/run-7/.
#pragma once

#include <cstdint>
#include <string>

namespace wb::api {

inline std::string run_files_dir(const std::string& db_path, int64_t run_id) {
    return db_path + ".d/run-" + std::to_string(run_id);
}

/// The app's data folder: $XDG_DATA_HOME/genai-workbench, else ~/.local/share/genai-workbench.
/// The default run database and cached files (the FID feature extractor) live here.
std::string user_data_dir();

}  // namespace wb::api
