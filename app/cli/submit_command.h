// `workbench-cli submit --slurm`: the cluster handoff (issue 18). Writes an sbatch script that
// starts one torchrun per node with `srun`, each running `workbench-cli run` as data-parallel
// ranks recording into the given database, next to the run's resolved config.
#pragma once

#include <string>

#include "app/cli/train_command.h"

namespace wb::cli {

struct SubmitOptions {
    int nodes = 1;
    int procs_per_node = 0;  ///< 0: gpus_per_node, or 1 on CPU nodes
    int gpus_per_node = 0;
    std::string time = "04:00:00";
    std::string partition;
    std::string out;    ///< the script; default NAME.sbatch in the current folder
    int grace_s = 120;  ///< SIGTERM this long before the time limit: a checkpoint, then requeue
};

int submit_command(const TrainOptions& train, const SubmitOptions& options);

}  // namespace wb::cli
