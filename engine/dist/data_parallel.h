// Data parallel as a run extension (issue 15): the ranks start from rank 0's weights, average
// their gradients in buckets after every backward pass, agree on stop and pause, and turn their
// metrics into the whole batch's. Rank 0 records and checkpoints the run.
#pragma once

#include <memory>

#include "engine/api/run_config.h"
#include "engine/run/extension.h"

namespace wb::engine::dist {

/// nullptr unless dist.mode is data.
std::unique_ptr<RunExtension> make_data_parallel(const api::RunConfig& config);

}  // namespace wb::engine::dist
