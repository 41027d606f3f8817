// Runs a fused optimizer step (kernels/fused_optim.h) over a list of parameters: the CUDA
// multi-tensor kernel for GPU tensors, the CPU reference loop split into fixed chunks across
// LibTorch's threads for CPU tensors. Chunk sums are added in a fixed order, so the result does
// not depend on the thread count.
#pragma once

#include <vector>

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

}  // namespace wb::optim
