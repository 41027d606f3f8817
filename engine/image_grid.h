// Encodes a batch of images as one PNG grid, the sample preview of image models.
// Uses libpng, writing to memory.
#pragma once

#include <string>

#include <torch/torch.h>

namespace wb::engine {

/// images [N, C(1 or 3), H, W] with values in [-1, 1]; returns PNG bytes of a grid with `cols`
/// columns and a 2-pixel gap.
std::string png_grid(const torch::Tensor& images, int64_t cols);

/// Raw 8-bit grey (channels 1) or RGB (channels 3) pixels to PNG bytes.
std::string encode_png(const uint8_t* pixels, int width, int height, int channels);

}  // namespace wb::engine
