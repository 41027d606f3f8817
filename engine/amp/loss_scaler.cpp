// LossScaler: unscale, check, skip, grow and back off.
#include "engine/amp/loss_scaler.h"

#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace wb::amp {

std::vector<torch::Tensor> gradients(const torch::optim::Optimizer& optimizer) {
    std::vector<torch::Tensor> grads;
    for (const auto& group : optimizer.param_groups())
        for (const auto& p : group.params())
            if (p.grad().defined()) grads.push_back(p.grad());
    return grads;
}

double grad_norm(const torch::optim::Optimizer& optimizer) {
    const auto grads = gradients(optimizer);
    if (grads.empty()) return 0;
    // One dispatch for all per-tensor norms, then their norm accumulated in float64 (one op:
    // linalg_vector_norm converts while it reduces).
    const auto norms = torch::stack(at::_foreach_norm(grads));
    return at::linalg_vector_norm(norms, 2, c10::nullopt, false, torch::kFloat64).item<double>();
}

LossScaler::LossScaler(LossScalerOptions options)
    : m_options(options), m_scale(options.enabled ? options.init_scale : 1.0) {}

torch::Tensor LossScaler::scale(const torch::Tensor& loss) const {
    return m_options.enabled ? loss * m_scale : loss;
}

double LossScaler::unscale(torch::optim::Optimizer& optimizer) {
    auto& st = m_per_optimizer[&optimizer];
    if (st.unscaled)
        throw std::logic_error("LossScaler::unscale called twice for one optimizer before step()");
    st.unscaled = true;
    const auto grads = gradients(optimizer);
    if (m_options.enabled && m_scale != 1.0) {
        torch::NoGradGuard no_grad;
        at::_foreach_mul_(grads, 1.0 / m_scale);
    }
    const double norm = grad_norm(optimizer);
    st.found_inf = !std::isfinite(norm);
    return norm;
}

void LossScaler::set_found_inf(const torch::optim::Optimizer& optimizer, bool found) {
    auto& st = m_per_optimizer[&optimizer];
    if (!st.unscaled) throw std::logic_error("LossScaler::set_found_inf before unscale()");
    st.found_inf = found;
}

bool LossScaler::step(torch::optim::Optimizer& optimizer) {
    auto& st = m_per_optimizer[&optimizer];
    // Disabled, unscaling changes nothing and no step is ever skipped: no need for the norm.
    if (!st.unscaled && m_options.enabled) unscale(optimizer);
    const bool skip = m_options.enabled && st.found_inf;
    st = PerOptimizer{};
    if (skip) {
        m_found_inf = true;
        ++m_skipped;
        return false;
    }
    optimizer.step();
    return true;
}

void LossScaler::update() {
    if (!m_options.enabled) return;
    if (m_found_inf) {
        m_scale *= m_options.backoff_factor;
        m_growth_tracker = 0;
    } else if (++m_growth_tracker >= m_options.growth_interval) {
        m_scale *= m_options.growth_factor;
        m_growth_tracker = 0;
    }
    m_found_inf = false;
}

std::string LossScaler::state() const {
    return nlohmann::json{
        {"scale", m_scale}, {"growth_tracker", m_growth_tracker}, {"skipped", m_skipped}}
        .dump();
}

void LossScaler::load_state(const std::string& state) {
    try {
        const auto j = nlohmann::json::parse(state);
        const double scale = j.at("scale").get<double>();
        if (!(scale > 0) || !std::isfinite(scale)) throw std::runtime_error("bad scale");
        m_scale = scale;
        m_growth_tracker = j.at("growth_tracker").get<int64_t>();
        m_skipped = j.at("skipped").get<int64_t>();
    } catch (const std::exception& e) {
        throw std::runtime_error(
            std::string("loss scaler state in the checkpoint is unreadable: ") + e.what());
    }
}

}  // namespace wb::amp
