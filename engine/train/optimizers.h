// The optimizer side of a training step: the factory for optim.name, the learning-rate schedule,
// and OptimizerStep, which wraps one optimizer with everything around its step (loss scaling,
// unscaling, gradient norm and clipping, skipping steps with inf/NaN gradients under fp16, and
// hooks that run after each step taken).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/amp/loss_scaler.h"
#include "engine/api/run_config.h"

namespace wb::engine {

/// The parameters one optimizer step covers, and which optimizer it is ("g", "d"; "" for a
/// trainer's only one): what the run extensions' optimizer hooks receive.
struct OptimizerStepInfo {
    const std::string& optimizer;
    const std::vector<torch::Tensor>& params;
};

/// LibTorch's SGD/Adam/AdamW, or AdaBelief/LAMB from engine/optim; fused variants when
/// config.fused is on.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<torch::Tensor> params,
                                                        const api::OptimConfig& config);

/// The learning rate for the step with 0-based index `step` of `total_steps`: linear warm-up
/// (lr * (step+1) / warmup_steps) then constant, or half a cosine from lr to 0 at the last step.
double scheduled_lr(const api::OptimConfig& config, int64_t step, int64_t total_steps);

class OptimizerStep {
public:
    /// `name` tells the metrics apart when a trainer has several optimizers ("d", "g"); empty
    /// for one. `scaler` is the trainer's, shared by all of its optimizers.
    OptimizerStep(std::string name, std::vector<torch::Tensor> params,
                  const api::OptimConfig& config, amp::LossScaler& scaler);

    /// zero_grad; backward of the scaled loss; unscale; clip to optim.grad_clip; step unless
    /// the scaler skips it; the after-step hooks. Returns whether the step was taken.
    /// The global gradient norm is computed when clipping or the fp16 scaler needs it, and
    /// otherwise only when measure_grad_norm(true) asked for it (it costs about a dozen tensor
    /// ops per step, a few percent of a small model's step).
    bool run(const torch::Tensor& loss);
    /// As run(), with `backward` running the backward passes itself (a pipeline stage's, one
    /// per micro-batch), each from a loss scaled by the scaler it is given.
    bool run_passes(const std::function<void(const amp::LossScaler&)>& backward);
    /// The parameters are one part of a model split over processes (pipeline stages):
    /// `combine` turns this part's gradient norm into the whole model's (the same on every
    /// process), which clipping, the fp16 inf check and grad/norm then use.
    void set_norm_combiner(std::function<double(double)> combine) {
        m_combine_norm = std::move(combine);
    }

    void set_lr(double lr);
    /// Whether the next run() computes the norm even when neither clipping nor the scaler needs
    /// it (for the grad/norm metric).
    void measure_grad_norm(bool on) { m_want_norm = on; }
    /// Whether the last run() computed the norm; last_grad_norm() is its value (else stale).
    bool grad_norm_measured() const { return m_norm_measured; }
    double last_grad_norm() const { return m_grad_norm; }
    const std::string& name() const { return m_name; }
    torch::optim::Optimizer& optimizer() { return *m_optimizer; }
    /// The model changed its parameters (it grew): step `optimizer` over `params` from now on;
    /// the hooks stay.
    void replace(std::vector<torch::Tensor> params,
                 std::unique_ptr<torch::optim::Optimizer> optimizer) {
        m_params = std::move(params);
        m_optimizer = std::move(optimizer);
    }
    using Hook = std::function<void(const OptimizerStepInfo&)>;
    /// Runs after the gradients were zeroed, just before backward (data parallel arms its
    /// all-reduce of these parameters' gradients, which then overlaps the backward pass).
    void add_before_backward(Hook hook) { m_before_backward.push_back(std::move(hook)); }
    /// Runs when backward has filled the gradients, before they are unscaled and clipped.
    void add_after_backward(Hook hook) { m_after_backward.push_back(std::move(hook)); }
    /// Runs after every step taken (e.g. re-applying pruning masks).
    void add_after_step(Hook hook) { m_after_step.push_back(std::move(hook)); }

private:
    std::string m_name;
    std::unique_ptr<torch::optim::Optimizer> m_optimizer;
    amp::LossScaler& m_scaler;
    double m_grad_clip;
    double m_grad_norm = 0;
    bool m_want_norm = true;
    bool m_norm_measured = false;
    std::vector<torch::Tensor> m_params;
    std::vector<Hook> m_before_backward, m_after_backward, m_after_step;
    std::function<double(double)> m_combine_norm;
};

}  // namespace wb::engine
