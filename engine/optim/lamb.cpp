// LAMB's update with LibTorch operations (the reference for the fused kernel).
#include "engine/optim/lamb.h"

#include <cmath>

namespace wb::optim {

void Lamb::update(torch::Tensor& p, const torch::Tensor& g, MomentParamState& st,
                  const LambOptions& o) {
    const auto [b1, b2] = o.betas();
    const auto t = static_cast<double>(st.step());
    auto& m = st.exp_avg();
    auto& v = st.exp_avg_sq();
    m.mul_(b1).add_(g, 1 - b1);
    v.mul_(b2).addcmul_(g, g, 1 - b2);
    const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
    auto u = (m / bc1) / ((v / bc2).sqrt() + o.eps());
    if (o.weight_decay() != 0) u.add_(p, o.weight_decay());
    const double p_norm = p.norm().item<double>(), u_norm = u.norm().item<double>();
    const double ratio = p_norm > 0 && u_norm > 0 ? p_norm / u_norm : 1.0;
    p.add_(u, -o.lr() * ratio);
}

}  // namespace wb::optim
