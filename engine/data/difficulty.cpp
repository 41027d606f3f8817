#include "engine/data/difficulty.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <torch/torch.h>

#include "engine/data/text_windows.h"

namespace wb::engine::data {

torch::Tensor image_difficulty(const torch::Tensor& images) {
    if (images.dim() != 4) throw std::invalid_argument("image_difficulty: expects [N,C,H,W]");
    torch::NoGradGuard no_grad;
    const int64_t n = images.size(0), chunk = 4096;  // float64 copies of 60k images: 0.5 GB
    std::vector<torch::Tensor> parts;
    for (int64_t start = 0; start < n; start += chunk) {
        const auto x =
            (images.narrow(0, start, std::min(chunk, n - start)).to(torch::kFloat64) + 1) * 0.5;
        const auto ink = x.mean({1, 2, 3});
        const auto dx = (x.narrow(3, 1, x.size(3) - 1) - x.narrow(3, 0, x.size(3) - 1)).abs();
        const auto dy = (x.narrow(2, 1, x.size(2) - 1) - x.narrow(2, 0, x.size(2) - 1)).abs();
        parts.push_back((ink + dx.mean({1, 2, 3}) + dy.mean({1, 2, 3})).cpu());
    }
    return parts.empty() ? torch::zeros({0}, torch::kFloat64) : torch::cat(parts);
}

torch::Tensor text_window_difficulty(const torch::Tensor& ids, int64_t context) {
    const int64_t windows = text_window_count(ids, context);
    torch::NoGradGuard no_grad;
    const auto flat = ids.to(torch::kCPU, torch::kInt64);
    const auto counts = torch::bincount(flat).to(torch::kFloat64);
    const auto surprisal = -(counts / static_cast<double>(flat.numel())).log();
    // Prefix sums of each character's surprisal: a window's mean is one difference.
    const auto per_char = surprisal.index_select(0, flat);
    const auto prefix = torch::cat({torch::zeros({1}, torch::kFloat64), per_char.cumsum(0)});
    const auto starts = torch::arange(windows, torch::kInt64) * context;
    const auto ends = starts + context + 1;
    return (prefix.index_select(0, ends) - prefix.index_select(0, starts)) /
           static_cast<double>(context + 1);
}

}  // namespace wb::engine::data
