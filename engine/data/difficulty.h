// Cheap difficulty proxies for the curriculum, computed once from the data: edge energy and ink
// for images, unigram surprisal for text windows.
#pragma once

#include <torch/types.h>

namespace wb::engine::data {

/// One score per image of [N,C,H,W] in [-1,1]: mean ink (intensity mapped to [0,1]) plus the
/// mean absolute horizontal and vertical differences (edge energy). A plain dark image scores
/// 0; busy, bright, detailed images score high. float64 [N].
torch::Tensor image_difficulty(const torch::Tensor& images);

/// One score per text window (see text_window_count): the mean surprisal -log p(c) of its
/// characters under the corpus's own character frequencies, in nats. Windows of common
/// letters and spaces score low; digits, punctuation and rare symbols score high. float64 [W].
/// (All windows have the same length, so text length itself cannot rank them.)
torch::Tensor text_window_difficulty(const torch::Tensor& ids, int64_t context);

}  // namespace wb::engine::data
