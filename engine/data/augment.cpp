#include "engine/data/augment.h"

#include <algorithm>
#include <stdexcept>

#include <torch/torch.h>

namespace wb::engine::data {

torch::Tensor flip_translate(const torch::Tensor& images, const ImageAugment& a,
                             at::Generator& gen) {
    if (images.dim() != 4) throw std::invalid_argument("flip_translate: expects [B,C,H,W]");
    torch::NoGradGuard no_grad;
    torch::Tensor x = images;
    const int64_t b = x.size(0);
    if (a.flip) {
        auto mask = (torch::rand({b}, gen) < 0.5).to(x.device()).view({b, 1, 1, 1});
        x = torch::where(mask, x.flip({3}), x);
    }
    if (a.translate > 0) {
        const int64_t n = a.translate, h = x.size(2), w = x.size(3);
        const auto shifts = torch::randint(-n, n + 1, {b, 2}, gen, torch::kInt64);
        const int64_t* s = shifts.data_ptr<int64_t>();
        auto padded = torch::constant_pad_nd(x, {n, n, n, n}, kImageBackground);
        auto out = torch::empty_like(x);
        // Output pixel (r, c) shows input pixel (r - dy, c - dx): a window of the padded image.
        for (int64_t i = 0; i < b; ++i) {
            const int64_t dy = s[2 * i], dx = s[2 * i + 1];
            out[i].copy_(padded[i].narrow(1, n - dy, h).narrow(2, n - dx, w));
        }
        x = out;
    }
    return x.is_same(images) ? x.clone() : x;
}

torch::Tensor cutout(const torch::Tensor& images, int64_t size, at::Generator& gen) {
    if (images.dim() != 4) throw std::invalid_argument("cutout: expects [B,C,H,W]");
    torch::NoGradGuard no_grad;
    auto x = images.clone();
    if (size <= 0) return x;
    const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
    const auto centres = torch::stack({torch::randint(h, {b}, gen, torch::kInt64),
                                       torch::randint(w, {b}, gen, torch::kInt64)},
                                      1)
                             .contiguous();
    const int64_t* c = centres.data_ptr<int64_t>();
    for (int64_t i = 0; i < b; ++i) {
        const int64_t y0 = std::max<int64_t>(0, c[2 * i] - size / 2);
        const int64_t x0 = std::max<int64_t>(0, c[2 * i + 1] - size / 2);
        const int64_t y1 = std::min(h, c[2 * i] - size / 2 + size);
        const int64_t x1 = std::min(w, c[2 * i + 1] - size / 2 + size);
        if (y1 > y0 && x1 > x0)
            x[i].narrow(1, y0, y1 - y0).narrow(2, x0, x1 - x0).fill_(kImageBackground);
    }
    return x;
}

}  // namespace wb::engine::data
