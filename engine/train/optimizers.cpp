// The optimizer factory, the learning-rate schedule and the wrapped optimizer step.
#include "engine/train/optimizers.h"

#include <cmath>
#include <stdexcept>

#include "engine/optim/adabelief.h"
#include "engine/optim/fused_adam.h"
#include "engine/optim/lamb.h"

namespace wb::engine {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<torch::Tensor> params,
                                                        const api::OptimConfig& c) {
    namespace to = torch::optim;
    const auto eps = [&](double fallback) { return c.eps > 0 ? c.eps : fallback; };
    const auto betas = std::make_tuple(c.beta1, c.beta2);
    if (c.name == "sgd")
        return std::make_unique<to::SGD>(params, to::SGDOptions(c.lr)
                                                     .momentum(c.momentum)
                                                     .nesterov(c.nesterov)
                                                     .weight_decay(c.weight_decay));
    if (c.name == "adam") {
        auto o = to::AdamOptions(c.lr).betas(betas).eps(eps(1e-8)).weight_decay(c.weight_decay);
        if (c.fused) return std::make_unique<optim::FusedAdam>(params, o);
        return std::make_unique<to::Adam>(params, o);
    }
    if (c.name == "adamw") {
        auto o = to::AdamWOptions(c.lr).betas(betas).eps(eps(1e-8)).weight_decay(c.weight_decay);
        if (c.fused) return std::make_unique<optim::FusedAdamW>(params, o);
        return std::make_unique<to::AdamW>(params, o);
    }
    if (c.name == "adabelief") {
        auto opt = std::make_unique<optim::AdaBelief>(params, optim::AdaBeliefOptions(c.lr)
                                                                  .betas(betas)
                                                                  .eps(eps(1e-16))
                                                                  .weight_decay(c.weight_decay));
        opt->set_fused(c.fused);
        return opt;
    }
    if (c.name == "lamb") {
        auto opt = std::make_unique<optim::Lamb>(
            params,
            optim::LambOptions(c.lr).betas(betas).eps(eps(1e-6)).weight_decay(c.weight_decay));
        opt->set_fused(c.fused);
        return opt;
    }
    throw std::invalid_argument("optim.name: unknown optimizer '" + c.name + "'");
}

double scheduled_lr(const api::OptimConfig& c, int64_t step, int64_t total_steps) {
    if (c.warmup_steps > 0 && step < c.warmup_steps)
        return c.lr * static_cast<double>(step + 1) / static_cast<double>(c.warmup_steps);
    if (c.schedule == "cosine") {
        const double span = static_cast<double>(std::max<int64_t>(1, total_steps - c.warmup_steps));
        const double progress = std::min(1.0, static_cast<double>(step - c.warmup_steps) / span);
        return c.lr * 0.5 * (1.0 + std::cos(M_PI * progress));
    }
    return c.lr;
}

OptimizerStep::OptimizerStep(std::string name, std::vector<torch::Tensor> params,
                             const api::OptimConfig& config, amp::LossScaler& scaler)
    : m_name(std::move(name)),
      m_optimizer(make_optimizer(params, config)),
      m_scaler(scaler),
      m_grad_clip(config.grad_clip),
      m_params(std::move(params)) {}

bool OptimizerStep::run(const torch::Tensor& loss) {
    return run_passes([&loss](const amp::LossScaler& s) { s.scale(loss).backward(); });
}

bool OptimizerStep::run_passes(const std::function<void(const amp::LossScaler&)>& backward) {
    // Optimizer::zero_grad() without its per-gradient detach_() (gradients from backward()
    // carry no history) and with one foreach dispatch for all zero_() calls.
    if (auto grads = amp::gradients(*m_optimizer); !grads.empty()) at::_foreach_zero_(grads);
    const OptimizerStepInfo info{m_name, m_params};
    for (const auto& hook : m_before_backward) hook(info);
    backward(m_scaler);
    for (const auto& hook : m_after_backward) hook(info);
    m_norm_measured = m_want_norm || m_grad_clip > 0 || m_scaler.enabled();
    if (m_norm_measured) m_grad_norm = m_scaler.unscale(*m_optimizer);
    if (m_norm_measured && m_combine_norm) {
        m_grad_norm = m_combine_norm(m_grad_norm);
        m_scaler.set_found_inf(*m_optimizer, !std::isfinite(m_grad_norm));
    }
    if (m_norm_measured && m_grad_clip > 0 && std::isfinite(m_grad_norm) &&
        m_grad_norm > m_grad_clip) {
        torch::NoGradGuard no_grad;
        at::_foreach_mul_(amp::gradients(*m_optimizer), m_grad_clip / (m_grad_norm + 1e-6));
    }
    const bool stepped = m_scaler.step(*m_optimizer);
    if (stepped)
        for (const auto& hook : m_after_step) hook(info);
    return stepped;
}

void OptimizerStep::set_lr(double lr) {
    for (auto& group : m_optimizer->param_groups()) group.options().set_lr(lr);
}

}  // namespace wb::engine
