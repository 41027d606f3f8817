// The optimizer state types this project trains with, each carried across a growth.
#include "engine/grow/optimizer_transplant.h"

#include <stdexcept>

#include "engine/compat.h"
#include "engine/optim/moment_optimizer.h"

namespace wb::grow {
namespace {

using State = torch::optim::OptimizerParamState;

torch::Tensor moment(const torch::Tensor& t, const ParamOrigin& o, int power) {
    if (!t.defined()) return t;
    const double s = power == 1 ? o.grad_scale : o.grad_scale * o.grad_scale;
    return (o.expand(t) * s).contiguous();
}

// Adam, AdamW and the two-moment optimizers written here (AdaBelief, LAMB) keep the same fields.
template <class S>
std::unique_ptr<State> two_moments(const S& old, const ParamOrigin& o) {
    auto st = std::make_unique<S>();
    st->step(old.step());
    st->exp_avg(moment(old.exp_avg(), o, 1));
    st->exp_avg_sq(moment(old.exp_avg_sq(), o, 2));
    if constexpr (!std::is_same_v<S, optim::MomentParamState>)
        st->max_exp_avg_sq(moment(old.max_exp_avg_sq(), o, 2));
    return st;
}

std::unique_ptr<State> carried(const State& old, const ParamOrigin& o) {
    namespace to = torch::optim;
    if (const auto* s = dynamic_cast<const to::AdamParamState*>(&old)) return two_moments(*s, o);
    if (const auto* s = dynamic_cast<const to::AdamWParamState*>(&old)) return two_moments(*s, o);
    if (const auto* s = dynamic_cast<const optim::MomentParamState*>(&old))
        return two_moments(*s, o);
    if (const auto* s = dynamic_cast<const to::SGDParamState*>(&old)) {
        auto st = std::make_unique<to::SGDParamState>();
        st->momentum_buffer(moment(s->momentum_buffer(), o, 1));
        return st;
    }
    throw std::logic_error("growth: no rule to carry this optimizer's state to a grown model");
}

}  // namespace

void carry_state(torch::optim::Optimizer& from, torch::optim::Optimizer& to,
                 const std::vector<ParamOrigin>& origins) {
    torch::NoGradGuard no_grad;
    auto& old_states = from.state();
    auto& new_states = to.state();
    for (const auto& o : origins) {
        if (!o.source.defined()) continue;
        auto it = old_states.find(compat::optimizer_state_key(o.source));
        if (it == old_states.end()) continue;
        new_states[compat::optimizer_state_key(o.param)] = carried(*it->second, o);
    }
}

}  // namespace wb::grow
