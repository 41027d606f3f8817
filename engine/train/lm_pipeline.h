// The GPT split into pipeline stages (dist.mode=pipeline, issue 15): stage s of p holds a
// contiguous run of the Transformer blocks, the first stage also the embeddings and the last the
// final LayerNorm and the tied head. Every rank keeps the whole model's parameters, but trains,
// and keeps optimizer state and activations for, its own stage's only; the other stages' weights
// are brought over (share_weights) only when rank 0 evaluates, samples or checkpoints, so a
// checkpoint holds the whole model and resumes with any number of stages or none. Hybrid
// (dist.mode=hybrid) runs several such pipelines, each on its share of the batch, and averages
// each stage's gradients over the pipelines.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "engine/amp/loss_scaler.h"
#include "engine/api/run_config.h"
#include "engine/dist/pipeline.h"
#include "engine/models/gpt.h"

namespace wb::engine {

class LmPipeline {
public:
    /// Per-window loss [b] from logits [b, T, vocab] and targets [b, T].
    using WindowLoss = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>;
    /// Runs a forward pass under the trainer's autocast.
    using Autocast = std::function<void(const std::function<void()>&)>;

    /// Splits `gpt` over the ranks of `comm` (one pipeline) by dist.balance (with "time", rank 0
    /// times every layer once and every rank takes its split). Every rank passes the same model.
    /// Hybrid: `replicas` holds this stage in every replica (this one among them); the split
    /// is replica 0's everywhere, and each step's gradients are averaged over them.
    LmPipeline(const api::RunConfig& config, dist::Collectives& comm, models::Gpt gpt,
               torch::Device device, dist::Collectives* replicas = nullptr);

    /// Forward and backward of the batch (ids x, targets y [B, T], sampler weights [B]; in
    /// hybrid, this replica's share of the global batch) through this stage in
    /// dist.micro_batches micro-batches, the loss scaled by `scaler`. Afterwards this stage's
    /// gradients are in place, the tied embedding's summed over the first and last stage and,
    /// in hybrid, averaged over the replicas. Returns the per-window losses (float32, CPU) on
    /// every rank: [B], or in hybrid every replica's in replica order, the global batch's.
    torch::Tensor train(const torch::Tensor& x, const torch::Tensor& y,
                        const torch::Tensor& weights, const amp::LossScaler& scaler,
                        const WindowLoss& loss, const Autocast& autocast);
    /// This stage's gradient norm -> the whole model's (the tied weight counted once).
    double whole_norm(double local);
    /// The last step over all stages: the mean bubble and the largest activation memory.
    std::pair<double, int64_t> step_figures();

    /// Every stage's current weights into every rank's model (of replica 0, in hybrid: the
    /// only one rank 0 needs, and the replicas are alike).
    void share_weights();
    /// Every stage's optimizer state into rank 0's `optimizer` (over the whole model's
    /// parameters, as on every rank), for a checkpoint; in hybrid from replica 0's stages.
    void gather_optimizer_state(torch::optim::Optimizer& optimizer);
    /// Forgets the optimizer state of parameters this stage does not train (after a checkpoint
    /// was written, or a whole one read).
    void drop_foreign_state(torch::optim::Optimizer& optimizer);

    /// "pipeline stage 1 of 2 (1f1b, 4 micro-batches of 8): blocks 2-3 and the head, 105k of
    /// the 210k parameters; split by parameters".
    std::string describe() const;

private:
    std::vector<double> parameter_costs() const;
    std::vector<double> timed_costs(int64_t micro_rows);
    /// What stage `s` trains (the tied weight on both the first and the last stage).
    std::vector<torch::Tensor> trained_by(int s) const;
    /// What stage `s` sends when the stages share their weights (the tied one from stage 0).
    std::vector<torch::Tensor> shared_by(int s) const;
    void tie_embedding_gradients();
    void average_over_replicas();
    /// Only replica 0 brings the model together for rank 0 (every replica in pipeline mode).
    bool assembles() const { return !m_replicas || m_replicas->rank() == 0; }

    dist::Collectives& m_comm;
    dist::Collectives* m_replicas;  ///< hybrid: this stage in every replica; nullptr otherwise
    models::Gpt m_gpt;
    torch::Device m_device;
    dist::PipelineStage m_stage;
    int64_t m_micro;
    std::string m_balance, m_schedule;
    std::vector<int64_t> m_bounds;  ///< stage s holds blocks [m_bounds[s], m_bounds[s + 1])
    dist::StageTimes m_times;
};

}  // namespace wb::engine
