// AdaBelief (Zhuang et al., NeurIPS 2020): Adam whose second moment tracks the squared deviation
// of the gradient from its running mean, the "belief" in the current direction. Per parameter,
// gradient g, step t from 1:
//   m = b1*m + (1-b1)*g;  s = b2*s + (1-b2)*(g-m)^2 + eps
//   m_hat = m/(1-b1^t);  s_hat = s/(1-b2^t)
//   p -= lr*weight_decay*p   (decoupled, before the update, when weight_decay > 0)
//   p -= lr * m_hat/(sqrt(s_hat)+eps)
#pragma once

#include "engine/optim/moment_optimizer.h"

namespace wb::optim {

struct AdaBeliefDefaults {
    static constexpr double kEps = 1e-16;
};
using AdaBeliefOptions = MomentOptions<AdaBeliefDefaults>;

class AdaBelief : public MomentOptimizer<AdaBeliefOptions> {
public:
    explicit AdaBelief(std::vector<torch::optim::OptimizerParamGroup> groups,
                       AdaBeliefOptions defaults = {})
        : MomentOptimizer(std::move(groups), defaults) {}
    explicit AdaBelief(std::vector<torch::Tensor> params, AdaBeliefOptions defaults = {})
        : AdaBelief({torch::optim::OptimizerParamGroup(std::move(params))}, defaults) {}

protected:
    void update(torch::Tensor& p, const torch::Tensor& g, MomentParamState& st,
                const AdaBeliefOptions& o) override;
    kernels::FusedKind kind() const override { return kernels::FusedKind::AdaBelief; }
};

}  // namespace wb::optim
