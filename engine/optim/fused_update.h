// Runs a fused optimizer step (kernels/fused_optim.h) over a list of parameters: the CUDA
// multi-tensor kernel for GPU tensors, the CPU reference loop split into fixed chunks across
// LibTorch's threads for CPU tensors. Chunk sums are added in a fixed order, so the result does
// not depend on the thread count.
#pragma once

#include <vector>

#include "engine/compat.h"

#include <torch/torch.h>

#include "kernels/fused_optim.h"

namespace wb::optim {

struct FusedSlot {
    torch::Tensor param;  ///< updated in place
    torch::Tensor grad;
    torch::Tensor m;  ///< first moment, in place
    torch::Tensor v;  ///< second moment (AdaBelief: belief variance), in place
};

/// True when `fused_update` can take these tensors: contiguous float32 or float64 (CPU) or
/// float32 (CUDA, with the CUDA kernels compiled in), all on one device.
bool fused_supported(const std::vector<FusedSlot>& slots);

/// One step for every slot with the same hyper-parameters.
void fused_update(const std::vector<FusedSlot>& slots, const kernels::FusedHyper& h);

/// The state of parameter `p` in an optimizer's per-parameter state map (keyed as LibTorch keys
/// it), created with zero first and second moments on first use.
template <class State, class StateMap>
State& moment_state(StateMap& states, const torch::Tensor& p) {
    const auto key = compat::optimizer_state_key(p);
    auto it = states.find(key);
    if (it == states.end()) {
        auto st = std::make_unique<State>();
        st->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
        st->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
        it = states.emplace(key, std::move(st)).first;
    }
    return static_cast<State&>(*it->second);
}

}  // namespace wb::optim
