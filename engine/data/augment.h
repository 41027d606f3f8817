// Image augmentation for training batches: random horizontal flip, translation and cutout,
// with every random choice drawn from the caller's generator so runs stay reproducible.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace wb::engine::data {

/// Background value of the [-1,1] images: what shifted-in borders and cutout holes show.
inline constexpr double kImageBackground = -1.0;

struct ImageAugment {
    bool flip = false;      ///< mirror each image left-right with probability 1/2
    int64_t translate = 0;  ///< shift each image by up to this many pixels in x and y
    int64_t cutout = 0;     ///< side of a square set to background at a random centre; 0 off

    bool any() const { return flip || translate > 0 || cutout > 0; }
};

/// Flip and translation of [B,C,H,W] images (a new tensor; the input is left alone).
torch::Tensor flip_translate(const torch::Tensor& images, const ImageAugment& a,
                             at::Generator& gen);

/// Cutout (DeVries & Taylor 2017): per image, a size x size square (clipped at the border)
/// around a uniformly drawn centre set to the background. Returns a new tensor.
torch::Tensor cutout(const torch::Tensor& images, int64_t size, at::Generator& gen);

}  // namespace wb::engine::data
