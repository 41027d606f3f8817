// `workbench-cli run` and `resume`: train one run in the foreground, recording it to the
// database, with a terminal progress bar and a final JSON summary.
#pragma once

#include <string>
#include <vector>

#include "engine/api/run_config.h"
#include "engine/service/exit_codes.h"
#include "engine/service/refusal.h"

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
    int64_t resume_id = 0;    ///< non-zero: resume this run instead of creating one
    bool restart = false;     ///< resume: no checkpoint left, so start over (replacing its metrics)
    bool from_queue = false;  ///< a worker the scheduler started for queued run resume_id
};

int run_command(const TrainOptions& options);

/// The settings a `run` (or `queue add`) asks for: a preset or a config file, then the --set
/// overrides. False after printing why not; `errors` collects bad overrides.
bool new_run_config(const TrainOptions& opt, api::RunConfig* config, std::string* name,
                    std::vector<api::ConfigError>* errors);
/// Prints a refusal (config refusals as the CLI's list) and returns its exit code.
int refused(const service::Refusal& r);
/// This program's own path, so that the processes it starts run the same build.
std::string self_executable();

}  // namespace wb::cli
