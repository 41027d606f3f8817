// LAMB (You et al., ICLR 2020): an Adam direction plus weight decay, scaled per tensor by the
// trust ratio |p| / |u| so every layer moves by a similar relative amount. Per parameter tensor,
// gradient g, step t from 1:
//   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;  m_hat, v_hat bias-corrected as in Adam
//   u = m_hat/(sqrt(v_hat)+eps) + weight_decay*p
//   r = ||p|| / ||u||   (L2 over the whole tensor; 1 when either norm is 0)
//   p -= lr * r * u
#pragma once

#include "engine/optim/moment_optimizer.h"

namespace wb::optim {

struct LambDefaults {
    static constexpr double kEps = 1e-6;
};
using LambOptions = MomentOptions<LambDefaults>;

class Lamb : public MomentOptimizer<LambOptions> {
public:
    explicit Lamb(std::vector<torch::optim::OptimizerParamGroup> groups, LambOptions defaults = {})
        : MomentOptimizer(std::move(groups), defaults) {}
    explicit Lamb(std::vector<torch::Tensor> params, LambOptions defaults = {})
        : Lamb({torch::optim::OptimizerParamGroup(std::move(params))}, defaults) {}

protected:
    void update(torch::Tensor& p, const torch::Tensor& g, MomentParamState& st,
                const LambOptions& o) override;
    kernels::FusedKind kind() const override { return kernels::FusedKind::Lamb; }
};

}  // namespace wb::optim
