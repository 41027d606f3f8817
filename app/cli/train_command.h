// `workbench-cli run` and `resume`: train one run in the foreground, recording it to the
// database, with a terminal progress bar and a final JSON summary.
#pragma once

#include <string>
#include <vector>

#include "engine/service/exit_codes.h"

namespace wb::cli {

/// Exit codes shared by every command; the run service maps outcomes to them.
using service::ExitCode;
using service::kExitBadConfig;
using service::kExitBusy;
using service::kExitDataProblem;
using service::kExitFailure;
using service::kExitInterrupted;
using service::kExitOk;

struct TrainOptions {
    std::string db;
    std::string preset;
    std::string config_file;
    std::string name;
    std::vector<std::string> sets;  ///< "key.path=value"
    bool json = false;
    int64_t resume_id = 0;  ///< non-zero: resume this run instead of creating one
    bool restart = false;   ///< resume: no checkpoint left, so start over (replacing its metrics)
};

int run_command(const TrainOptions& options);

}  // namespace wb::cli
