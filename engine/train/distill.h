// Knowledge distillation's losses (distill.*, issue 16): what the student pays for predicting
// otherwise than its teacher.
#pragma once

#include <string>

#include <torch/torch.h>

#include "engine/models/network.h"

namespace wb::engine {

/// The teacher a trainer learns from: a trained network of the run's family, on the CPU, as
/// the model registry built it from the teacher run's newest readable checkpoint.
struct TeacherModel {
    models::Network network;
    std::string vocab;  ///< a language model's characters, in id order (empty for others)
    int64_t step = 0;   ///< the teacher checkpoint's step
    std::string label;  ///< "run 3 (gpt-char)", for messages
};

/// Per window (dim 0) of logits [B, T, V]: T^2 x the mean over the T positions of
/// KL(softmax(teacher / T) || softmax(student / T)), in float32 whatever the logits' type. The
/// mean over windows is Hugging Face's KLDiv(reduction="batchmean") over the positions x T^2.
torch::Tensor kd_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits,
                      double temperature);

/// The share of positions where the student's most likely next token is the teacher's.
double top1_agreement(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits);

}  // namespace wb::engine
