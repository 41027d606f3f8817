// GlooGroup: a process group on PyTorch's c10d (TCPStore for the rendezvous, ProcessGroupGloo for
// the collectives), joined as torchrun's variables or the run service's launcher describe it.
// The header names no c10d type, so only gloo_group.cpp needs the Gloo headers.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "engine/api/engine.h"
#include "engine/dist/collectives.h"

namespace wb::engine::dist {

/// What rank 0 tells the other ranks before they train: the run's config and where it lives.
struct StartRecord {
    int64_t run_id = 0;
    std::string config_json;
    std::string checkpoint_dir;
    bool resume = false;
};

class GlooGroup final : public Collectives, public std::enable_shared_from_this<GlooGroup> {
public:
    /// The group of `join` in this process, joined now or shared with an earlier caller still
    /// holding it. Rank 0 hosts the store (unless torchrun's agent does). Waits up to `timeout`
    /// for every rank; every later collective waits at most that long too. Throws
    /// std::runtime_error naming the address, the rank and the fix.
    static std::shared_ptr<GlooGroup> join(const api::DistJoin& join,
                                           std::chrono::milliseconds timeout);
    ~GlooGroup() override;

    int rank() const override;
    int world() const override;
    void all_reduce_sum(std::vector<torch::Tensor>& tensors) override;
    std::function<void()> all_reduce_sum_async(torch::Tensor tensor) override;
    torch::Tensor all_gather(const torch::Tensor& local) override;
    void broadcast(std::vector<torch::Tensor>& tensors, int root) override;
    std::function<void()> send_async(torch::Tensor tensor, int dst, int tag) override;
    std::function<void()> recv_async(torch::Tensor tensor, int src, int tag) override;
    double take_comm_ms() override;
    std::shared_ptr<Collectives> subgroup(const std::vector<int>& ranks) override;

    /// Rank 0: leaves `record` in the store for the others.
    void publish(const StartRecord& record);
    /// Ranks > 0: rank 0's record (waits up to the timeout for it).
    StartRecord start_record();

private:
    struct Impl;
    explicit GlooGroup(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m;
};

}  // namespace wb::engine::dist
