// The pruning arithmetic, free of any model or run: magnitude masks (per layer and global),
// 2:4 masks, channel ranking and compaction, and the Zhu & Gupta sparsity schedule.
#pragma once

#include <vector>

#include "engine/prune/layout.h"

namespace wb::prune {

/// Mask (1 keep, 0 pruned, same shape and dtype as `w`) removing exactly round(sparsity * numel)
/// elements with the smallest |w|; ties go to the lower index.
torch::Tensor magnitude_mask(const torch::Tensor& w, double sparsity);

/// One ranking across all tensors: removes round(sparsity * total) smallest |w| overall.
std::vector<torch::Tensor> global_magnitude_masks(const std::vector<torch::Tensor>& ws,
                                                  double sparsity);

/// In every group of 4 consecutive weights along `in_dim` keep the 2 largest |w|. The size of
/// `in_dim` must divide by 4.
torch::Tensor two_four_mask(const torch::Tensor& w, int64_t in_dim);

/// Norm of every unit's scored weights [units]; `l2` else L1. `per_element` divides by the
/// number of scored elements per unit (L1: mean |w|; L2: root mean square) so that units of
/// different layers compare.
torch::Tensor unit_scores(const ChannelGroup& g, bool l2, bool per_element);

/// Units to keep (bool [units]) after removing round(sparsity * units) lowest-scoring ones;
/// at least one unit always stays.
torch::Tensor keep_units(const torch::Tensor& scores, double sparsity);

/// Global channel ranking: one threshold over the scores of all groups, at least one unit of
/// every group kept.
std::vector<torch::Tensor> keep_units_global(const std::vector<torch::Tensor>& scores,
                                             double sparsity);

/// Element mask of `s.tensor` for the kept units (1 elsewhere along other indices).
torch::Tensor slice_mask(const Slice& s, const torch::Tensor& keep);

/// Rebuilds every tensor of `groups` without the removed units (in place, so modules keep
/// their members), then runs `after_compact`. `keep[i]` belongs to `groups[i]`.
void compact(Layout& layout, const std::vector<torch::Tensor>& keep);

/// Zhu & Gupta (2017): s_t = s_f + (s_i - s_f) * (1 - (t - t0) / (t1 - t0))^3, clamped to
/// [t0, t1]; s_i before t0.
double cubic_sparsity(int64_t step, double initial, double target, int64_t start, int64_t end);

}  // namespace wb::prune
