// A rank > 0 of a data-parallel run: started by torchrun or srun (`workbench-cli run ...` with
// RANK > 0) or by the run service (`workbench-cli dist-worker`). It takes its run from rank 0,
// trains its share of each batch, and records nothing: rank 0 owns the run.
#pragma once

#include "engine/api/engine.h"

namespace wb::cli {

/// Exit code 0 when the run completed or stopped, 1 when it failed (the cause on stderr).
int dist_worker_command(const api::DistJoin& join);

}  // namespace wb::cli
