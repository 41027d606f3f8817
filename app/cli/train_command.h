// `workbench-cli run` and `resume`: train one run in the foreground, recording it to the
// database, with a terminal progress bar and a final JSON summary.
#pragma once

#include <string>
#include <vector>

namespace wb::cli {

/// Exit codes shared by every command.
enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1,
    kExitBadConfig = 2,
    kExitDataProblem = 3,
    kExitInterrupted = 130,  ///< stopped by Ctrl-C (checkpoint written), as shells expect
};

struct TrainOptions {
    std::string db;
    std::string preset;
    std::string config_file;
    std::string name;
    std::vector<std::string> sets;  ///< "key.path=value"
    bool json = false;
    int64_t resume_id = 0;  ///< non-zero: resume this run instead of creating one
};

int run_command(const TrainOptions& options);

}  // namespace wb::cli
