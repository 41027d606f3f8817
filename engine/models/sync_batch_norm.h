// SyncBatchNorm2d: BatchNorm2d whose training-mode statistics cover every rank's share of the
// batch while a BatchStatsScope is open (data parallel, engine/dist), as PyTorch's SyncBatchNorm
// does. Without one it is BatchNorm2d exactly; its parameters, buffers and names are the same, so
// checkpoints and layouts (as<BatchNorm2d>) do not tell them apart.
#pragma once

#include <functional>

#include <torch/torch.h>

namespace wb::models {

/// Sums a tensor in place over the ranks (Collectives::all_reduce_sum of one tensor).
using SumOverRanks = std::function<void(torch::Tensor&)>;

class SyncBatchNorm2dImpl : public torch::nn::BatchNorm2dImpl {
public:
    using BatchNorm2dImpl::BatchNorm2dImpl;
    torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(SyncBatchNorm2d);

/// While alive, SyncBatchNorm2d layers in training mode on this thread normalise over the batch of
/// every rank: the per-channel sums go through `sum` (and their gradients back through it).
class BatchStatsScope {
public:
    explicit BatchStatsScope(const SumOverRanks* sum);
    ~BatchStatsScope();
    BatchStatsScope(const BatchStatsScope&) = delete;
    BatchStatsScope& operator=(const BatchStatsScope&) = delete;

private:
    const SumOverRanks* m_previous;
};

}  // namespace wb::models
