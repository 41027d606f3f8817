// Carrying an optimizer's state across a growth: each grown parameter takes the state of the
// parameter it came from, laid out and scaled as its origin says (gpt_growth.h).
#pragma once

#include <vector>

#include <torch/torch.h>

#include "engine/grow/gpt_growth.h"

namespace wb::grow {

/// Fills `to` (an optimizer over the grown parameters, with no state yet) from `from`:
/// - SGD's momentum buffer and every first moment: expanded, times the origin's grad_scale;
/// - second moments (Adam's, AdamW's, AdaBelief's, LAMB's): expanded, times grad_scale squared;
/// - step counts kept, so bias correction goes on where it was.
/// Parameters without a source, or whose source has no state yet, get none: the optimizer starts
/// them at zero on their first step, as it starts every parameter. Throws std::logic_error for
/// an optimizer whose state type it does not know.
void carry_state(torch::optim::Optimizer& from, torch::optim::Optimizer& to,
                 const std::vector<ParamOrigin>& origins);

}  // namespace wb::grow
