// DiffAugment (Zhao et al. 2020): differentiable colour, translation and cutout augmentations
// applied to real and fake images alike before the discriminator, so it cannot memorise a small
// data set while the generator still gets gradients through the augmentation.
#pragma once

#include <string>

#include <torch/torch.h>

namespace wb::engine {

struct DiffAugmentPolicy {
    bool color = false;
    bool translation = false;
    bool cutout = false;
    bool any() const { return color || translation || cutout; }
};

/// "color,translation,cutout" (any subset, any order, empty for none). Throws
/// std::invalid_argument for an unknown name (validate() reports it first).
DiffAugmentPolicy parse_diff_augment(const std::string& text);

/// The policy's augmentations with fresh random parameters per image, drawn from `gen` (CPU).
torch::Tensor diff_augment(const torch::Tensor& x, const DiffAugmentPolicy& policy,
                           at::Generator& gen);

/// Brightness + [-0.5, 0.5), saturation x [0, 2), contrast x [0.5, 1.5); factors [N].
torch::Tensor adjust_color(const torch::Tensor& x, const torch::Tensor& brightness,
                           const torch::Tensor& saturation, const torch::Tensor& contrast);
/// Output pixel (i, j) = input (i + dy, j + dx), zero outside; shifts int64 [N].
torch::Tensor translate(const torch::Tensor& x, const torch::Tensor& dx, const torch::Tensor& dy);
/// Zeroes a size_h x size_w box centred (rounding down) at (cy, cx) per image; int64 [N].
torch::Tensor cutout(const torch::Tensor& x, const torch::Tensor& cx, const torch::Tensor& cy,
                     int64_t size_h, int64_t size_w);

}  // namespace wb::engine
