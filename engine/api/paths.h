// Where a run's files and the app's shared data live, shared by the CLI, the app and the tests.
// Checkpoints of run 7 in /x/runs.sqlite go to /x/runs.sqlite.d/run-7/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wb::api {

inline std::string run_files_dir(const std::string& db_path, int64_t run_id) {
    return db_path + ".d/run-" + std::to_string(run_id);
}

/// The checkpoint folder of run `run_id` in the database at `db_path`, given the folder its row
/// stored. A stored folder in the default layout (some database's "<db>.d/run-<id>") follows
/// the database file: in a copy of the database it is the copy's own folder, so resuming or
/// exporting there never reads or overwrites the original's checkpoints. Empty: the default.
std::string checkpoint_dir_of(const std::string& db_path, int64_t run_id,
                              const std::string& stored);

/// "ckpt-<step>.pt": the one naming of checkpoint files, which the engine writes and the run
/// service looks for before it lets a run continue.
std::string checkpoint_file_name(int64_t step);
/// The step a checkpoint file name stands for ("ckpt-800.pt" -> 800); -1 for any other name.
int64_t checkpoint_step(const std::string& file_name);
/// The checkpoint files (regular files named ckpt-<step>.pt) in `dir`, newest (highest step)
/// first; empty when the folder is missing or unreadable.
std::vector<std::string> list_checkpoint_files(const std::string& dir);

/// The app's data folder: $XDG_DATA_HOME/genai-workbench, else ~/.local/share/genai-workbench.
/// The default run database and cached files (the FID feature extractor) live here.
std::string user_data_dir();
/// The app's config folder: $XDG_CONFIG_HOME/genai-workbench, else ~/.config/genai-workbench.
/// Users' own presets live here.
std::string user_config_dir();

}  // namespace wb::api
