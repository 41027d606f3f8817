// The language model's validation loss (loss/val): one definition that the trainer's evaluation
// and the int8 comparison of `workbench-cli quantize` both use.
#pragma once

#include <functional>

#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include "engine/api/run_config.h"

namespace wb::engine {

/// Windows loss/val averages over: eval.samples characters in windows of model.context, at
/// least one.
int64_t lm_validation_windows(const api::RunConfig& config);

/// Mean next-token cross-entropy of `forward` (ids [B, T] -> logits [B, T, vocab]) over
/// `windows` random windows of `context` tokens of `val_ids`, drawn from `gen` in chunks of 64
/// and run on `device`. The same generator state gives the same windows, so two models compare
/// on the same text.
double lm_validation_loss(const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                          const torch::Tensor& val_ids, int64_t context, int64_t windows,
                          at::Generator& gen, torch::Device device = torch::kCPU);

}  // namespace wb::engine
