// The shared body of the two-moment optimizers written here (AdaBelief, LAMB): per-parameter
// state (step, first moment, second moment), the loop over parameter groups, the optional fused
// path (one kernel pass per step, see fused_update.h) and checkpoint serialization in the same
// format LibTorch uses for its own optimizers.
#pragma once

#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "engine/optim/fused_update.h"

namespace wb::optim {

/// Per-parameter state: steps taken, first moment m and second moment (for AdaBelief the
/// "belief" s, the average squared deviation of the gradient from m).
struct MomentParamState : public torch::optim::OptimizerCloneableParamState<MomentParamState> {
    TORCH_ARG(int64_t, step) = 0;
    TORCH_ARG(torch::Tensor, exp_avg);
    TORCH_ARG(torch::Tensor, exp_avg_sq);

public:
    void serialize(torch::serialize::InputArchive& archive) override;
    void serialize(torch::serialize::OutputArchive& archive) const override;
};

/// Options of a two-moment optimizer: lr, betas, eps and weight_decay, saved like LibTorch's
/// Adam options. `Defaults` gives the optimizer's own epsilon (kEps) and makes each optimizer's
/// options a type of its own.
template <class Defaults>
struct MomentOptions : public torch::optim::OptimizerCloneableOptions<MomentOptions<Defaults>> {
    MomentOptions(double lr = 1e-3) : lr_(lr) {}
    TORCH_ARG(double, lr) = 1e-3;
    typedef std::tuple<double, double> betas_t;
    TORCH_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
    TORCH_ARG(double, eps) = Defaults::kEps;
    TORCH_ARG(double, weight_decay) = 0;

public:
    void serialize(torch::serialize::InputArchive& archive) override {
        c10::IValue v;
        archive.read("lr", v);
        lr(v.toDouble());
        archive.read("betas", v);
        betas(v.to<betas_t>());
        archive.read("eps", v);
        eps(v.toDouble());
        archive.read("weight_decay", v);
        weight_decay(v.toDouble());
    }
    void serialize(torch::serialize::OutputArchive& archive) const override {
        archive.write("lr", c10::IValue(lr()));
        archive.write("betas", c10::IValue(betas()));
        archive.write("eps", c10::IValue(eps()));
        archive.write("weight_decay", c10::IValue(weight_decay()));
    }
    double get_lr() const override { return lr(); }
    void set_lr(const double lr) override { this->lr(lr); }
};

/// Base of AdaBelief and Lamb. `Options` has lr, betas, eps and weight_decay.
template <class Options>
class MomentOptimizer : public torch::optim::Optimizer {
public:
    MomentOptimizer(std::vector<torch::optim::OptimizerParamGroup> groups, const Options& defaults)
        : Optimizer(std::move(groups), std::make_unique<Options>(defaults)) {
        TORCH_CHECK(defaults.lr() >= 0, "Invalid learning rate: ", defaults.lr());
        TORCH_CHECK(defaults.eps() >= 0, "Invalid epsilon value: ", defaults.eps());
        const auto [b1, b2] = defaults.betas();
        TORCH_CHECK(0 <= b1 && b1 < 1 && 0 <= b2 && b2 < 1, "Invalid betas: ", b1, ", ", b2);
        TORCH_CHECK(defaults.weight_decay() >= 0,
                    "Invalid weight_decay: ", defaults.weight_decay());
    }

    /// On: update with one kernel pass per tensor (CPU) or per tensor list (CUDA) when the
    /// tensors allow it (see fused_supported), else with LibTorch operations.
    void set_fused(bool on) { m_fused = on; }
    bool fused() const { return m_fused; }

    torch::Tensor step(LossClosure closure = nullptr) override {
        torch::NoGradGuard no_grad;
        torch::Tensor loss;
        if (closure) {
            at::AutoGradMode enable_grad(true);
            loss = closure();
        }
        for (auto& group : param_groups()) {
            const auto& o = static_cast<const Options&>(group.options());
            std::map<int64_t, std::vector<FusedSlot>> by_step;
            for (auto& p : group.params()) {
                if (!p.grad().defined()) continue;
                auto& st = state_for(p);
                st.step(st.step() + 1);
                if (m_fused)
                    by_step[st.step()].push_back({p, p.grad(), st.exp_avg(), st.exp_avg_sq()});
                else
                    update(p, p.grad(), st, o);
            }
            for (auto& [step, slots] : by_step) {
                if (fused_supported(slots)) {
                    fused_update(slots, hyper(o, step));
                } else {
                    for (auto& s : slots) update(s.param, s.grad, state_for(s.param), o);
                }
            }
        }
        return loss;
    }

    void save(torch::serialize::OutputArchive& archive) const override {
        torch::optim::serialize<MomentParamState, Options>(archive, *this);
    }
    void load(torch::serialize::InputArchive& archive) override {
        torch::optim::serialize<MomentParamState, Options>(archive, *this);
    }

protected:
    /// The per-operation (reference) update of one parameter; st.step() is already advanced.
    virtual void update(torch::Tensor& p, const torch::Tensor& g, MomentParamState& st,
                        const Options& o) = 0;
    virtual kernels::FusedKind kind() const = 0;

private:
    MomentParamState& state_for(const torch::Tensor& p) {
        return moment_state<MomentParamState>(state_, p);
    }

    kernels::FusedHyper hyper(const Options& o, int64_t step) const {
        kernels::FusedHyper h;
        h.kind = kind();
        h.lr = o.lr();
        h.beta1 = std::get<0>(o.betas());
        h.beta2 = std::get<1>(o.betas());
        h.eps = o.eps();
        h.weight_decay = o.weight_decay();
        h.step = step;
        return h;
    }

    bool m_fused = false;
};

}  // namespace wb::optim
