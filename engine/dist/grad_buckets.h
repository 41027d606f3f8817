// GradientBuckets: one optimizer's gradients averaged over the ranks in flat buckets, each
// all-reduced as soon as backward has produced all of its gradients, so that communication
// overlaps the rest of the backward pass (as PyTorch DDP's reducer does). Buckets follow the
// parameters in reverse (about the order backward reaches them) and are started strictly in
// bucket order, so every rank issues the same collectives in the same order.
#pragma once

#include <functional>
#include <vector>

#include <torch/torch.h>

#include "engine/dist/collectives.h"

namespace wb::engine::dist {

class GradientBuckets {
public:
    /// The first bucket holds about 1 MiB (it starts communicating early), the rest about
    /// `bucket_mb`.
    GradientBuckets(Collectives& comm, std::vector<torch::Tensor> params, double bucket_mb);

    /// Whether these are the buckets of exactly `params` (the same tensors).
    bool covers(const std::vector<torch::Tensor>& params) const;
    /// Before backward: gradients that arrive from now on are collected.
    void arm();
    /// From parameter `index`'s gradient hook: `grad` is its whole gradient of this backward.
    void ready(size_t index, const torch::Tensor& grad);
    /// After backward: starts what is left (parameters backward did not reach count as zero),
    /// waits for every bucket and writes the averages into the parameters' gradients.
    void finish();

private:
    struct Bucket {
        std::vector<size_t> members;
        torch::Tensor flat;
        size_t pending = 0;
        std::function<void()> wait;
    };
    void fill(size_t index, const torch::Tensor& grad);
    void start_ready();

    Collectives& m_comm;
    std::vector<torch::Tensor> m_params;
    std::vector<size_t> m_bucket_of;
    std::vector<int64_t> m_offset;
    std::vector<Bucket> m_buckets;
    std::vector<char> m_filled;
    size_t m_next = 0;  ///< the first bucket not started yet
    bool m_armed = false;
};

}  // namespace wb::engine::dist
