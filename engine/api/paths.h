// Where a run's files live next to its database, shared by the CLI, the app and the tests.
// Checkpoints of run 7 in /x/runs.sqlite go to /x/runs.sqlite.d/run-7/.
#pragma once

#include <cstdint>
#include <string>

namespace wb::api {

inline std::string run_files_dir(const std::string& db_path, int64_t run_id) {
    return db_path + ".d/run-" + std::to_string(run_id);
}

}  // namespace wb::api
