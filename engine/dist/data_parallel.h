// Distributed training as a run extension (issue 15): the ranks join one process group, start
// from rank 0's weights, agree on stop and pause, and turn their metrics into the whole batch's.
// Data parallel also averages the gradients in buckets after every backward pass; a pipeline's
// trainer splits its model over the ranks itself. Rank 0 records and checkpoints the run.
#pragma once

#include <memory>

#include "engine/api/run_config.h"
#include "engine/run/extension.h"

namespace wb::engine::dist {

/// nullptr for dist.mode=off. In pipeline mode the trainer splits its model
/// (Trainer::set_collectives) and the extension does the rest as for data parallel.
std::unique_ptr<RunExtension> make_data_parallel(const api::RunConfig& config);

}  // namespace wb::engine::dist
