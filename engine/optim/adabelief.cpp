// AdaBelief's update with LibTorch operations (the reference for the fused kernel).
#include "engine/optim/adabelief.h"

#include <cmath>

namespace wb::optim {

void AdaBelief::update(torch::Tensor& p, const torch::Tensor& g, MomentParamState& st,
                       const AdaBeliefOptions& o) {
    const auto [b1, b2] = o.betas();
    const auto t = static_cast<double>(st.step());
    auto& m = st.exp_avg();
    auto& s = st.exp_avg_sq();
    m.mul_(b1).add_(g, 1 - b1);
    const auto d = g - m;
    s.mul_(b2).addcmul_(d, d, 1 - b2).add_(o.eps());
    const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
    if (o.weight_decay() != 0) p.mul_(1 - o.lr() * o.weight_decay());
    const auto denom = (s.sqrt() / std::sqrt(bc2)).add_(o.eps());
    p.addcdiv_(m, denom, -o.lr() / bc1);
}

}  // namespace wb::optim
