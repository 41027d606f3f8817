// Image sets for `workbench-cli fid`: an IDX images file (plain or .gz) or a folder of PNGs,
// brought to the extractor's input (grey, 32x32, [-1, 1]) the way the training data is.
#pragma once

#include <string>

#include <torch/torch.h>

namespace wb::engine::eval {

/// Greyscale float32 [N, 1, 32, 32] in [-1, 1]. Images up to 32x32 are centred on background (-1)
/// like Fashion-MNIST's 28x28; larger ones are area-averaged down to 32x32. Colour PNGs are
/// converted to grey. At most `limit` images (0: all), the first ones in file / name order.
/// Throws data::DataError naming the file and the fix.
torch::Tensor load_image_set(const std::string& path, int64_t limit = 0);

}  // namespace wb::engine::eval
