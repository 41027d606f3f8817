// Adam and AdamW with the fused step: LibTorch's own classes (same options, same per-parameter
// state, same checkpoint format), whose step() runs one kernel pass instead of the per-operation
// update whenever the tensors allow it (see fused_update.h); amsgrad falls back to LibTorch.
#pragma once

#include <map>

#include <torch/torch.h>

#include "engine/optim/fused_update.h"

namespace wb::optim {

template <class Base, kernels::FusedKind Kind>
class FusedAdamT : public Base {
public:
    using Base::Base;
    using LossClosure = torch::optim::Optimizer::LossClosure;
    static constexpr bool kAdam = Kind == kernels::FusedKind::Adam;
    using Options =
        std::conditional_t<kAdam, torch::optim::AdamOptions, torch::optim::AdamWOptions>;

    torch::Tensor step(LossClosure closure = nullptr) override {
        for (const auto& group : this->param_groups())
            if (static_cast<const Options&>(group.options()).amsgrad())
                return Base::step(std::move(closure));
        torch::NoGradGuard no_grad;
        torch::Tensor loss;
        if (closure) {
            at::AutoGradMode enable_grad(true);
            loss = closure();
        }
        for (auto& group : this->param_groups()) {
            const auto& o = static_cast<const Options&>(group.options());
            // One pass per step count: parameters a growth added start their count afresh.
            std::map<int64_t, std::vector<FusedSlot>> by_step;
            for (auto& p : group.params()) {
                if (!p.grad().defined()) continue;
                auto& st = state_for(p);
                st.step(st.step() + 1);
                by_step[st.step()].push_back({p, p.grad(), st.exp_avg(), st.exp_avg_sq()});
            }
            for (auto& [step, slots] : by_step) {
                TORCH_CHECK(fused_supported(slots),
                            "fused optimizer step: the parameters need one dtype and one device; "
                            "turn optim.fused off");
                kernels::FusedHyper h;
                h.kind = Kind;
                h.lr = o.lr();
                h.beta1 = std::get<0>(o.betas());
                h.beta2 = std::get<1>(o.betas());
                h.eps = o.eps();
                h.weight_decay = o.weight_decay();
                h.step = step;
                fused_update(slots, h);
            }
        }
        return loss;
    }

private:
    using State =
        std::conditional_t<kAdam, torch::optim::AdamParamState, torch::optim::AdamWParamState>;

    State& state_for(const torch::Tensor& p) { return moment_state<State>(this->state(), p); }
};

using FusedAdam = FusedAdamT<torch::optim::Adam, kernels::FusedKind::Adam>;
using FusedAdamW = FusedAdamT<torch::optim::AdamW, kernels::FusedKind::AdamW>;

}  // namespace wb::optim
