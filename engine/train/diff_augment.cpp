// DiffAugment as in the authors' PyTorch code (DiffAugment_pytorch.py): translation by up to 1/8
// of the side with zero padding, cutout of half the side, per-image colour jitter.
#include "engine/train/diff_augment.h"

#include <sstream>
#include <stdexcept>

namespace wb::engine {

DiffAugmentPolicy parse_diff_augment(const std::string& text) {
    DiffAugmentPolicy p;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (item == "color")
            p.color = true;
        else if (item == "translation")
            p.translation = true;
        else if (item == "cutout")
            p.cutout = true;
        else if (!item.empty())
            throw std::invalid_argument("augment.diff: unknown augmentation '" + item +
                                        "'; use any of color, translation, cutout");
    }
    return p;
}

torch::Tensor adjust_color(const torch::Tensor& x, const torch::Tensor& brightness,
                           const torch::Tensor& saturation, const torch::Tensor& contrast) {
    auto per_image = [&x](const torch::Tensor& f) { return f.to(x.options()).view({-1, 1, 1, 1}); };
    auto y = x + per_image(brightness);
    auto mean_c = y.mean(1, /*keepdim=*/true);
    y = (y - mean_c) * per_image(saturation) + mean_c;
    auto mean_all = y.mean({1, 2, 3}, /*keepdim=*/true);
    return (y - mean_all) * per_image(contrast) + mean_all;
}

torch::Tensor translate(const torch::Tensor& x, const torch::Tensor& dx, const torch::Tensor& dy) {
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    auto opts = torch::TensorOptions().dtype(torch::kInt64).device(x.device());
    auto padded = torch::constant_pad_nd(x, {1, 1, 1, 1}, 0.0);  // index 0 and side + 1 are zero
    auto rows =
        (torch::arange(h, opts).view({1, h}) + dy.to(opts).view({n, 1}) + 1).clamp(0, h + 1);
    auto cols =
        (torch::arange(w, opts).view({1, w}) + dx.to(opts).view({n, 1}) + 1).clamp(0, w + 1);
    auto picked_rows = padded.gather(2, rows.view({n, 1, h, 1}).expand({n, c, h, w + 2}));
    return picked_rows.gather(3, cols.view({n, 1, 1, w}).expand({n, c, h, w}));
}

torch::Tensor cutout(const torch::Tensor& x, const torch::Tensor& cx, const torch::Tensor& cy,
                     int64_t size_h, int64_t size_w) {
    const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
    auto opts = torch::TensorOptions().dtype(torch::kInt64).device(x.device());
    auto top = cy.to(opts).view({n, 1, 1}) - size_h / 2;
    auto left = cx.to(opts).view({n, 1, 1}) - size_w / 2;
    auto r = torch::arange(h, opts).view({1, h, 1}), col = torch::arange(w, opts).view({1, 1, w});
    auto inside = (r >= top) & (r < top + size_h) & (col >= left) & (col < left + size_w);
    return x * (~inside).to(x.dtype()).unsqueeze(1);
}

torch::Tensor diff_augment(const torch::Tensor& x, const DiffAugmentPolicy& policy,
                           at::Generator& gen) {
    const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
    auto y = x;
    if (policy.color) {
        auto b = torch::rand({n}, gen) - 0.5;
        auto s = torch::rand({n}, gen) * 2;
        auto c = torch::rand({n}, gen) + 0.5;
        y = adjust_color(y, b, s, c);
    }
    if (policy.translation) {
        const int64_t sh = static_cast<int64_t>(h * 0.125 + 0.5),
                      sw = static_cast<int64_t>(w * 0.125 + 0.5);
        auto dy = torch::randint(-sh, sh + 1, {n}, gen, torch::kInt64);
        auto dx = torch::randint(-sw, sw + 1, {n}, gen, torch::kInt64);
        y = translate(y, dx, dy);
    }
    if (policy.cutout) {
        const int64_t ch = static_cast<int64_t>(h * 0.5 + 0.5),
                      cw = static_cast<int64_t>(w * 0.5 + 0.5);
        auto cy = torch::randint(0, h + (1 - ch % 2), {n}, gen, torch::kInt64);
        auto cx = torch::randint(0, w + (1 - cw % 2), {n}, gen, torch::kInt64);
        y = cutout(y, cx, cy, ch, cw);
    }
    return y;
}

}  // namespace wb::engine
