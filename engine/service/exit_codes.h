// The exit codes of workbench-cli, and the one mapping from a refusal or a run's final status to
// them, so that every caller reports the same outcome the same way.
#pragma once

#include "engine/api/run_event.h"
#include "engine/service/refusal.h"

namespace wb::service {

enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1,
    kExitBadConfig = 2,
    kExitDataProblem = 3,
    kExitBusy = 4,           ///< the run trains (or is being continued) in another process
    kExitInterrupted = 130,  ///< stopped by Ctrl-C (checkpoint written), as shells expect
};

/// Invalid settings give kExitBadConfig, a run another process has kExitBusy; storage,
/// checkpoint, engine and state problems give kExitFailure.
ExitCode exit_code(const Refusal& refusal);
/// Completed: ok; Stopped: interrupted; Failed: by its kind (data, config, else failure).
ExitCode exit_code(api::RunStatus final_status, api::FailureKind failure);

}  // namespace wb::service
