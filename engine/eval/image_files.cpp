// IDX and PNG readers behind `workbench-cli fid`.
#include "engine/eval/image_files.h"

#include <png.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

#include "engine/data/data_error.h"
#include "engine/data/idx.h"

namespace wb::engine::eval {
namespace {

namespace fs = std::filesystem;
using data::DataError;
using data::kImageSide;

// uint8 [N, H, W] -> float [N, 1, 32, 32] in [-1, 1].
torch::Tensor to_model_input(const torch::Tensor& u8) {
    auto x = u8.to(torch::kFloat32).div(127.5).sub(1.0).unsqueeze(1);
    const int64_t h = x.size(2), w = x.size(3);
    if (h > kImageSide || w > kImageSide)
        return torch::nn::functional::adaptive_avg_pool2d(
            x, torch::nn::functional::AdaptiveAvgPool2dFuncOptions({kImageSide, kImageSide}));
    const int64_t top = (kImageSide - h) / 2, left = (kImageSide - w) / 2;
    return torch::constant_pad_nd(x, {left, kImageSide - w - left, top, kImageSide - h - top},
                                  -1.0);
}

// The header alone says how much memory decoding takes: a few bytes can claim 60000x60000.
constexpr uint32_t kMaxPngSide = 4096;

torch::Tensor read_png_grey(const fs::path& file, int64_t* height, int64_t* width) {
    png_image image;
    std::memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, file.c_str()))
        throw DataError(file.string() + ": not a readable PNG (" + image.message +
                        "); remove it from the folder or re-export it");
    if (image.width > kMaxPngSide || image.height > kMaxPngSide) {
        const std::string size = std::to_string(image.width) + "x" + std::to_string(image.height);
        png_image_free(&image);
        throw DataError(file.string() + ": is " + size + " pixels; images larger than " +
                        std::to_string(kMaxPngSide) + "x" + std::to_string(kMaxPngSide) +
                        " are refused (the extractor sees 32x32): scale it down first");
    }
    image.format = PNG_FORMAT_GRAY;
    auto out = torch::empty({image.height, image.width}, torch::kUInt8);
    if (!png_image_finish_read(&image, nullptr, out.data_ptr<uint8_t>(), 0, nullptr)) {
        const std::string why = image.message;
        png_image_free(&image);
        throw DataError(file.string() + ": PNG decoding failed (" + why +
                        "); the file is damaged, re-export it");
    }
    *height = image.height;
    *width = image.width;
    return out;
}

torch::Tensor load_png_folder(const fs::path& folder, int64_t limit) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder)) {
        auto ext = entry.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
        if (entry.is_regular_file() && ext == ".png") files.push_back(entry.path());
    }
    if (files.empty())
        throw DataError(folder.string() +
                        ": no .png files in this folder; give a folder of PNG images or an IDX "
                        "images file");
    std::sort(files.begin(), files.end());
    if (limit > 0 && static_cast<int64_t>(files.size()) > limit) files.resize(limit);
    // Each image is brought to the extractor's 32x32 as it is read, so a set of large images
    // costs 4 KiB per image, not its decoded size.
    std::vector<torch::Tensor> images;
    int64_t h0 = 0, w0 = 0;
    for (const auto& f : files) {
        int64_t h = 0, w = 0;
        images.push_back(to_model_input(read_png_grey(f, &h, &w).unsqueeze(0)).squeeze(0));
        if (images.size() == 1) {
            h0 = h;
            w0 = w;
        } else if (h != h0 || w != w0) {
            throw DataError(f.string() + ": is " + std::to_string(h) + "x" + std::to_string(w) +
                            " but " + files.front().string() + " is " + std::to_string(h0) + "x" +
                            std::to_string(w0) + "; every image of a set must have one size");
        }
    }
    return torch::stack(images);
}

}  // namespace

torch::Tensor load_image_set(const std::string& path, int64_t limit) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw DataError(path + ": not found; give an IDX images file or a folder of PNGs");
    if (fs::is_directory(path, ec)) return load_png_folder(path, limit);
    auto u8 = data::read_idx(path);
    if (u8.dim() == 4 && u8.size(1) == 1) u8 = u8.squeeze(1);
    if (u8.dim() != 3)
        throw DataError(path + ": expected an IDX images file (count x height x width), found " +
                        std::to_string(u8.dim()) +
                        " dimensions; is this a labels file? Use the images file");
    if (limit > 0 && u8.size(0) > limit) u8 = u8.narrow(0, 0, limit);
    return to_model_input(u8);
}

}  // namespace wb::engine::eval
