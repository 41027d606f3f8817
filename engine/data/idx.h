// Readers for MNIST-format IDX files (plain or gzip) and the Fashion-MNIST folder layout.
// Images come out as float32 [N,1,32,32] in [-1,1], ready for the image models.
#pragma once

#include <string>

#include <torch/types.h>

namespace wb::engine::data {

/// Folder of Debian's dataset-fashion-mnist package, used when data.path is empty.
inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";
/// Side of the square images handed to the models; 28x28 sources are padded by 2.
inline constexpr int64_t kImageSide = 32;
/// Largest payload read_idx accepts, so a corrupt header cannot ask for absurd amounts of memory.
inline constexpr uint64_t kMaxIdxPayloadBytes = uint64_t{1} << 31;

/// Reads an IDX file of unsigned bytes (magic 00 00 08 ndim), gzip-compressed or not, into a
/// uint8 tensor with the file's dims. Throws DataError for anything but an exact, sane file.
torch::Tensor read_idx(const std::string& path);

struct ImageSet {
    /// float32 [N,1,32,32] in [-1,1]; smaller sources are centred on background (-1).
    torch::Tensor images;
    /// int64 [N], each in 0..9.
    torch::Tensor labels;
};

/// Reads an images file ([N,H,W], H and W <= 32) and its labels file ([N], values 0..9).
ImageSet load_idx_pair(const std::string& images_path, const std::string& labels_path);

struct ImageData {
    ImageSet train;
    ImageSet test;
    /// The folder the files came from, for run records and the UI.
    std::string source;
};

/// Loads train-{images-idx3,labels-idx1}-ubyte and t10k-... (each plain or .gz) from a folder;
/// an empty path means kDefaultFashionMnistDir.
ImageData load_fashion_mnist(const std::string& path);

}  // namespace wb::engine::data
