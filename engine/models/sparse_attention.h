// Causal attention under a pattern (api::AttentionPattern), computing only the pairs it keeps:
// the sliding window as chunks of `window` queries against their own and the previous chunk's
// keys, the block pattern as each block against itself plus the summary and global keys. Time
// and activation memory are O(T * keys_per_query), not O(T^2). Blocked LibTorch ops, so
// autograd gives the backward pass and the same code runs on the CPU and on CUDA.
#pragma once

#include <torch/torch.h>

#include "engine/api/attention_pattern.h"

namespace wb::models {

/// q, k, v [B, H, T, D] -> [B, H, T, D]: softmax(q k^T / sqrt(D)) v over the kept pairs.
torch::Tensor pattern_attention(const torch::Tensor& q, const torch::Tensor& k,
                                const torch::Tensor& v, const api::AttentionPattern& pattern);

/// The reference: the dense T x T product with pattern.mask(T) applied (tests, benchmarks).
torch::Tensor masked_dense_attention(const torch::Tensor& q, const torch::Tensor& k,
                                     const torch::Tensor& v, const api::AttentionPattern& pattern);

}  // namespace wb::models
