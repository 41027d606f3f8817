#include "engine/train/distill.h"

namespace wb::engine {

torch::Tensor kd_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits,
                      double temperature) {
    const auto s = torch::log_softmax(student_logits.to(torch::kFloat32) / temperature, -1);
    const auto log_t = torch::log_softmax(teacher_logits.to(torch::kFloat32) / temperature, -1);
    // Sum over the vocabulary of p_t (log p_t - log p_s); a teacher probability of 0 adds 0.
    const auto kl = (log_t.exp() * (log_t - s)).sum(-1);
    const auto per_window = kl.dim() > 1 ? kl.flatten(1).mean(1) : kl;
    return per_window * (temperature * temperature);
}

double top1_agreement(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits) {
    return student_logits.argmax(-1)
        .eq(teacher_logits.argmax(-1))
        .to(torch::kFloat64)
        .mean()
        .item<double>();
}

}  // namespace wb::engine
