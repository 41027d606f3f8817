// Growing networks (grow.*) as a run extension: at each step of the schedule the model grows,
// the run loop's other extensions hear of the new parameter set, and the run records what the
// growth did (model/params, grow/events, the loss on a fixed batch just before and after).
#pragma once

#include <memory>

#include "engine/run/extension.h"

namespace wb::grow {

/// nullptr unless grow.at_steps is set.
std::unique_ptr<engine::RunExtension> make_grow_extension(const api::RunConfig& config);

}  // namespace wb::grow
