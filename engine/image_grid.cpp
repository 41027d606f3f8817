// PNG encoding of sample grids through libpng's write callback.
#include "engine/image_grid.h"

#include <png.h>

#include <stdexcept>
#include <vector>

namespace wb::engine {
namespace {

void append(png_structp png, png_bytep data, png_size_t length) {
    auto* out = static_cast<std::string*>(png_get_io_ptr(png));
    out->append(reinterpret_cast<const char*>(data), length);
}

}  // namespace

std::string encode_png(const uint8_t* pixels, int width, int height, int channels) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    if (!png) throw std::runtime_error("libpng: cannot create a writer");
    png_infop info = png_create_info_struct(png);
    std::string out;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : nullptr);
        throw std::runtime_error("libpng: encoding failed");
    }
    png_set_write_fn(png, &out, append, nullptr);
    png_set_IHDR(png, info, width, height, 8,
                 channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; ++y)
        png_write_row(
            png, const_cast<png_bytep>(pixels + static_cast<std::size_t>(y) * width * channels));
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return out;
}

std::string png_grid(const torch::Tensor& images, int64_t cols) {
    const auto x = images.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), gap = 2;
    const int64_t rows = (n + cols - 1) / cols;
    const int64_t W = cols * (w + gap) + gap, H = rows * (h + gap) + gap;
    auto u8 = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch::kUInt8).contiguous();
    std::vector<uint8_t> canvas(static_cast<std::size_t>(W * H * c), 40);
    const uint8_t* src = u8.data_ptr<uint8_t>();
    for (int64_t i = 0; i < n; ++i) {
        const int64_t ox = gap + (i % cols) * (w + gap), oy = gap + (i / cols) * (h + gap);
        for (int64_t yy = 0; yy < h; ++yy)
            for (int64_t xx = 0; xx < w; ++xx)
                for (int64_t ch = 0; ch < c; ++ch)
                    canvas[static_cast<std::size_t>(((oy + yy) * W + ox + xx) * c + ch)] =
                        src[((i * c + ch) * h + yy) * w + xx];
    }
    return encode_png(canvas.data(), static_cast<int>(W), static_cast<int>(H), static_cast<int>(c));
}

}  // namespace wb::engine
