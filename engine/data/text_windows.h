// The language model's training examples: fixed windows of the text, so each can be scored,
// ranked and drawn by a sampler like an image. Window i is tokens [i*T, i*T + T] (T + 1
// tokens: T inputs and their T next-token targets); consecutive windows share one token, so
// every token but the first is a target exactly once per epoch.
#pragma once

#include <utility>

#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace wb::engine::data {

/// Whole windows of `context` that fit in 1-D `ids`; throws DataError when not even one fits.
int64_t text_window_count(const torch::Tensor& ids, int64_t context);

/// x [B,T] and y [B,T] (y is x shifted by one) of the windows `indices` (int64 [B]).
std::pair<torch::Tensor, torch::Tensor> text_windows(const torch::Tensor& ids,
                                                     const torch::Tensor& indices, int64_t context);

struct TextNoise {
    double substitute = 0;  ///< per input character: replaced by a random vocabulary character
    double remove = 0;      ///< per character of the window: deleted, the text closing the gap
    int64_t vocab = 0;      ///< token ids are 0..vocab-1
};

/// text_windows with noise drawn from `gen` only. Deletions act on the window itself (inputs
/// and targets, as if the text had a typo), refilled from the text that follows it; near the
/// end of the text fewer deletions happen so the window stays full. Substitutions act on the
/// inputs only, so the model still learns to predict the true next character.
std::pair<torch::Tensor, torch::Tensor> noisy_text_windows(const torch::Tensor& ids,
                                                           const torch::Tensor& indices,
                                                           int64_t context, const TextNoise& noise,
                                                           at::Generator& gen);

}  // namespace wb::engine::data
