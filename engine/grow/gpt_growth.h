// Growing a trained GPT while it trains: a wider copy by duplicating units (Net2Net, Chen et al.
// 2016) and a deeper one with identity blocks or copies of the trained ones (progressive
// stacking, Gong et al. 2019). Each new parameter says where it comes from, so the optimizer's
// state can follow it (optimizer_transplant.h).
#pragma once

#include <functional>
#include <vector>

#include <torch/torch.h>

#include "engine/models/gpt.h"

namespace wb::grow {

/// Where one parameter of the grown model comes from.
struct ParamOrigin {
    torch::Tensor param;   ///< the grown model's parameter
    torch::Tensor source;  ///< the old parameter it derives from; undefined: new, state from zero
    /// The old tensor laid out in the new shape (tiled for a widening, as is for a copy): applied
    /// to the weights and to the optimizer's moments alike.
    std::function<torch::Tensor(const torch::Tensor&)> expand;
    /// Right after the growth the new parameter's gradient is this times the expanded old
    /// gradient (1/k for a copy among k, see widen()): first moments are scaled by it, second
    /// moments by its square, so the next update is the one the old model would have taken.
    double grad_scale = 1;
};

struct Grown {
    models::Gpt model;                 ///< on the old model's device
    std::vector<ParamOrigin> origins;  ///< one per parameter of `model`, in parameters() order
};

enum class DeepenMethod {
    Identity,  ///< fresh blocks whose output projections are zero: an exact identity
    Stack,     ///< copies of the trained blocks (block L+i copies block i): the function changes
};

/// The model's blocks and width, read from its tensors.
int64_t gpt_layers(const models::GptImpl& gpt);
int64_t gpt_width(const models::GptImpl& gpt);

/// `old` widened to `grown.width()` (a multiple k of its width) with k times the heads. Every
/// unit of the residual stream, of the MLP and of every head is copied k times; weights that
/// read k copies are divided by k and the final LayerNorm by k (it feeds the tied head, which
/// sums over the copies), so without noise the logits are unchanged. Gaussian noise of std
/// `noise` from `gen` is added to the linear layers' weights so that the copies can learn apart.
Grown widen(const models::GptImpl& old, const models::GptOptions& grown, double noise,
            at::Generator& gen);

/// `old` with blocks added on top up to `grown.layers()` (same width). New weights draw from
/// `gen` (not the global generator), as the model's own initialisation would.
Grown deepen(const models::GptImpl& old, const models::GptOptions& grown, DeepenMethod method,
             at::Generator& gen);

}  // namespace wb::grow
