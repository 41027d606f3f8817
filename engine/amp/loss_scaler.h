// Dynamic loss scaling for float16 training, with the semantics of PyTorch's
// torch.amp.GradScaler (LibTorch's C++ API has none): the loss is multiplied by a scale before
// backward so that small gradients survive float16; gradients are divided by it again before the
// optimizer step (and before gradient clipping); a step whose gradients hold inf/NaN is skipped
// and the scale multiplied by backoff_factor; after growth_interval clean steps in a row the
// scale is multiplied by growth_factor.
//
// Several optimizers may share one scaler (a GAN's generator and discriminator): scale each
// loss, unscale/step each optimizer, then update() once per iteration. Unlike PyTorch, an
// optimizer may be stepped more than once between updates (several discriminator steps per
// generator step); each of its steps is unscaled and checked on its own.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <torch/torch.h>

namespace wb::amp {

struct LossScalerOptions {
    double init_scale = 65536.0;
    double growth_factor = 2.0;
    double backoff_factor = 0.5;
    int64_t growth_interval = 2000;
    bool enabled = true;  ///< off: scale() returns the loss, step() always steps (fp32, bf16)
};

class LossScaler {
public:
    explicit LossScaler(LossScalerOptions options = {});

    /// loss * scale (the loss itself when disabled).
    torch::Tensor scale(const torch::Tensor& loss) const;
    /// Divides the optimizer's gradients by the scale and checks them for inf/NaN. Returns the
    /// global L2 norm of the unscaled gradients (inf or NaN when any gradient is not finite).
    /// Throws std::logic_error if called twice for the same optimizer before its step().
    double unscale(torch::optim::Optimizer& optimizer);
    /// Unscales if unscale() was not called (enabled scaler only: disabled, it computes no norm),
    /// then steps the optimizer unless its gradients held inf/NaN (enabled scaler only). Returns
    /// whether the step was taken.
    bool step(torch::optim::Optimizer& optimizer);
    /// After unscale(): whether the optimizer's step must be skipped for inf/NaN gradients, as
    /// several processes that each unscaled a part of one model's gradients agreed (pipeline
    /// stages skip together, or their parts of the model would drift apart).
    void set_found_inf(const torch::optim::Optimizer& optimizer, bool found);
    /// Once per iteration: backs off if any step since the last update found inf/NaN, else counts
    /// a clean iteration and grows the scale every growth_interval of them.
    void update();

    double scale_value() const { return m_scale; }
    int64_t skipped_steps() const { return m_skipped; }
    int64_t growth_tracker() const { return m_growth_tracker; }
    bool enabled() const { return m_options.enabled; }
    const LossScalerOptions& options() const { return m_options; }

    /// {"scale", "growth_tracker", "skipped"} for checkpoints.
    std::string state() const;
    /// Restores state(); throws std::runtime_error when malformed.
    void load_state(const std::string& state);

private:
    struct PerOptimizer {
        bool unscaled = false;
        bool found_inf = false;
    };

    LossScalerOptions m_options;
    double m_scale;
    int64_t m_growth_tracker = 0;
    int64_t m_skipped = 0;
    bool m_found_inf = false;  ///< since the last update()
    std::map<const torch::optim::Optimizer*, PerOptimizer> m_per_optimizer;
};

/// The global L2 norm over the gradients of all parameters of `optimizer` that have one.
double grad_norm(const torch::optim::Optimizer& optimizer);

/// Every gradient of `optimizer`, for in-place scaling.
std::vector<torch::Tensor> gradients(const torch::optim::Optimizer& optimizer);

}  // namespace wb::amp
