// Pipeline parallel (issue 15): the order in which one stage runs its micro-batches' forward and
// backward passes (GPipe or 1F1B), the balanced split of a model's layers into stages, and the
// stage that runs a step's schedule, sending activations forward and gradients back over c10d's
// point-to-point send/recv. Nothing here knows the model: engine/train/lm_pipeline.h splits the
// GPT.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "engine/dist/collectives.h"

namespace wb::engine::dist {

enum class PipelineSchedule { GPipe, OneFOneB };

/// dist.schedule's value ("gpipe", "1f1b"); throws std::invalid_argument for anything else.
PipelineSchedule parse_schedule(const std::string& name);

struct PipelineAction {
    bool forward = true;
    int micro = 0;
};

/// What stage `stage` (0-based) of `stages` runs, in order, for `micro` micro-batches. GPipe: all
/// forwards, then all backwards. 1F1B: min(stages - stage - 1, micro) forwards to fill the
/// pipeline, then one forward and one backward in turn, then the remaining backwards. Every
/// micro-batch's passes appear once, each backward after its forward; the orders of neighbouring
/// stages never wait on each other in a cycle.
std::vector<PipelineAction> pipeline_order(PipelineSchedule schedule, int stage, int stages,
                                           int micro);

/// The most micro-batches whose forward has run and backward has not, at any point of `order`:
/// how many micro-batches' activations the stage holds at once (GPipe: micro; 1F1B: at most
/// stages - stage).
int max_in_flight(const std::vector<PipelineAction>& order);

/// The idle share of each stage in a pipeline of equal stages with free communication:
/// (p - 1) / (m + p - 1), the same for GPipe and 1F1B.
double ideal_bubble(int stages, int micro);

/// The split of a layered model into `stages` contiguous stages that minimises the costliest
/// stage. `cost[0]` is the input layer (always the first stage's), `cost[1..n]` the n middle
/// layers (each stage gets at least one) and `cost[n+1]` the output layer (the last stage's).
/// Returns stages + 1 boundaries: stage s holds middle layers [b[s], b[s+1]) (0-based), b[0] = 0
/// and b[stages] = n. Throws std::invalid_argument when n < stages.
std::vector<int64_t> balanced_split(const std::vector<double>& cost, int stages);

/// One step of one stage, as measured.
struct StageTimes {
    double span_ms = 0;            ///< wall time of the whole schedule on this stage
    double busy_ms = 0;            ///< of it, in this stage's forward and backward passes
    int64_t activation_bytes = 0;  ///< peak memory growth over the step, sampled after each pass
    int in_flight = 0;             ///< most micro-batches held at once
    /// The share of the span the stage was not computing: waiting for its neighbours (the
    /// pipeline's bubble) and for its sends to leave.
    double bubble() const { return span_ms > 0 ? 1.0 - busy_ms / span_ms : 0.0; }
};

/// Hybrid parallel's ranks: `replicas` copies of a `stages`-stage pipeline. Rank r is stage
/// r % stages of replica r / stages, so one replica's stages are neighbouring ranks (on one
/// machine, when each machine starts a whole pipeline).
struct PipelineGrid {
    int stages = 1;
    int replicas = 1;
    int stage(int rank) const { return rank % stages; }
    int replica(int rank) const { return rank / stages; }
    /// The ranks of `rank`'s replica, stage 0 first.
    std::vector<int> pipeline_of(int rank) const {
        std::vector<int> out;
        for (int s = 0; s < stages; ++s) out.push_back(replica(rank) * stages + s);
        return out;
    }
    /// The ranks that hold `rank`'s stage, replica 0 first.
    std::vector<int> replicas_of(int rank) const {
        std::vector<int> out;
        for (int r = 0; r < replicas; ++r) out.push_back(r * stages + stage(rank));
        return out;
    }
};

class PipelineStage {
public:
    /// forward(micro, input): this stage's layers on micro-batch `micro`. `input` is what the
    /// previous stage sent, as a leaf that requires grad; undefined on the first stage. Returns
    /// the activation for the next stage or, on the last stage, the loss to run backward from
    /// (already scaled as the optimizer wants it).
    using Forward = std::function<torch::Tensor(int micro, const torch::Tensor& input)>;

    /// Stage `stage` is rank `stage` of `comm` (one stage per rank).
    PipelineStage(Collectives& comm, PipelineSchedule schedule, torch::Device device);

    int stage() const { return m_stage; }
    int stages() const { return m_stages; }
    bool first() const { return m_stage == 0; }
    bool last() const { return m_stage == m_stages - 1; }

    /// The forward and backward passes of `micro` micro-batches in the schedule's order, with
    /// the receives before and the sends after each pass; gradients accumulate into the stage's
    /// parameters. What crosses between stages has shape `activation`, in float32 (a pass may
    /// compute in another precision). Waits for its own sends before it returns.
    StageTimes run(int micro, const std::vector<int64_t>& activation, const Forward& forward);

private:
    Collectives& m_comm;
    PipelineSchedule m_schedule;
    torch::Device m_device;
    int m_stage, m_stages;
};

}  // namespace wb::engine::dist
