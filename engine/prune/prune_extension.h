// Pruning as a run extension: builds the Pruner from the model's layout, keeps the masks
// enforced after every optimizer step, follows the schedule, and reports what pruning bought.
#pragma once

#include <memory>

#include "engine/run/extension.h"

namespace wb::prune {

/// nullptr when prune.method is none.
std::unique_ptr<engine::RunExtension> make_prune_extension(const api::RunConfig& config);

}  // namespace wb::prune
