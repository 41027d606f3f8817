// Collectives: what training over several ranks needs from a process group, without naming c10d,
// so trainers and models can take part (engine/dist/gloo_group.h implements it on c10d's Gloo).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <torch/types.h>

namespace wb::engine::dist {

class Collectives {
public:
    virtual ~Collectives() = default;
    virtual int rank() const = 0;
    virtual int world() const = 0;
    /// Sums each tensor in place over the ranks; every rank passes the same shapes in the same
    /// order. Throws std::runtime_error naming the cause when a rank is lost or times out.
    virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
    /// Starts summing `tensor` in place over the ranks and returns what waits for it (and throws
    /// like all_reduce_sum). Every rank starts the same ones in the same order.
    virtual std::function<void()> all_reduce_sum_async(torch::Tensor tensor) = 0;
    /// Every rank's `local` (the same shape on each), concatenated along dim 0 in rank order.
    virtual torch::Tensor all_gather(const torch::Tensor& local) = 0;
    /// Rank `root`'s values into every rank's tensors, in place.
    virtual void broadcast(std::vector<torch::Tensor>& tensors, int root) = 0;
    /// Starts sending `tensor` to rank `dst` / receiving rank `src`'s into `tensor` (point to
    /// point, for pipeline stages); `tag` pairs a send with its receive. Returns what waits for
    /// it, and throws like all_reduce_sum.
    virtual std::function<void()> send_async(torch::Tensor tensor, int dst, int tag) = 0;
    virtual std::function<void()> recv_async(torch::Tensor tensor, int src, int tag) = 0;
    /// Milliseconds spent in collectives since the last call (the dist/comm_ms metric); a
    /// subgroup's count here, not in its own.
    virtual double take_comm_ms() = 0;
    /// The group of `ranks` (this group's ranks, ascending, this rank among them) with a c10d
    /// process group of its own, whose rank i is ranks[i] here: a hybrid run's pipelines and
    /// its stages' replicas. Every member calls it with the same list, in the same order as
    /// its other subgroups; the other ranks never do. Throws like all_reduce_sum.
    virtual std::shared_ptr<Collectives> subgroup(const std::vector<int>& ranks) = 0;
};

/// This rank's share [begin, begin + count) of a global batch of n examples split evenly over
/// the ranks (the run refuses batches that do not split: api::dist_problems).
struct Shard {
    int rank = 0;
    int world = 1;
    int64_t begin(int64_t n) const { return n / world * rank; }
    int64_t count(int64_t n) const { return n / world; }
    /// Rows [begin, begin + count) of `global` along dim 0; `global` itself for one rank.
    torch::Tensor of(const torch::Tensor& global) const {
        if (world == 1) return global;
        const int64_t n = global.size(0);
        return global.narrow(0, begin(n), count(n));
    }
};

}  // namespace wb::engine::dist
