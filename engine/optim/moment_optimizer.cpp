// MomentParamState's archive format: the field names LibTorch's Adam uses.
#include "engine/optim/moment_optimizer.h"

namespace wb::optim {

void MomentParamState::serialize(torch::serialize::OutputArchive& archive) const {
    archive.write("step", c10::IValue(step()));
    archive.write("exp_avg", exp_avg(), /*is_buffer=*/true);
    archive.write("exp_avg_sq", exp_avg_sq(), /*is_buffer=*/true);
}

void MomentParamState::serialize(torch::serialize::InputArchive& archive) {
    c10::IValue v;
    archive.read("step", v);
    step(v.toInt());
    // Separate tensors: InputArchive::read fills a defined tensor in place (set_).
    torch::Tensor m, s;
    archive.read("exp_avg", m, /*is_buffer=*/true);
    archive.read("exp_avg_sq", s, /*is_buffer=*/true);
    exp_avg(m);
    exp_avg_sq(s);
}

}  // namespace wb::optim
