#include "engine/data/text_windows.h"

#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "engine/data/data_error.h"

namespace wb::engine::data {

int64_t text_window_count(const torch::Tensor& ids, int64_t context) {
    if (ids.dim() != 1) throw std::invalid_argument("text windows: ids must be 1-D");
    if (context < 1) throw std::invalid_argument("text windows: context must be positive");
    const int64_t length = ids.size(0);
    if (length <= context)
        throw DataError("the training text has " + std::to_string(length) +
                        " tokens, too few for one window of " + std::to_string(context) +
                        " plus one; lower model.context or use more text");
    return (length - 1) / context;
}

std::pair<torch::Tensor, torch::Tensor> text_windows(const torch::Tensor& ids,
                                                     const torch::Tensor& indices,
                                                     int64_t context) {
    const int64_t windows = text_window_count(ids, context);
    const auto starts = indices.to(torch::kCPU, torch::kInt64) * context;
    if (indices.numel() > 0 &&
        (indices.min().item<int64_t>() < 0 || indices.max().item<int64_t>() >= windows))
        throw std::out_of_range("text_windows: window index outside [0, " +
                                std::to_string(windows) + ")");
    const auto offsets = torch::arange(context + 1, torch::kInt64);
    const auto index = (starts.unsqueeze(1) + offsets).view({-1}).to(ids.device());
    const auto w =
        ids.index_select(0, index).view({indices.numel(), context + 1}).to(torch::kInt64);
    return {w.narrow(1, 0, context).contiguous(), w.narrow(1, 1, context).contiguous()};
}

std::pair<torch::Tensor, torch::Tensor> noisy_text_windows(const torch::Tensor& ids,
                                                           const torch::Tensor& indices,
                                                           int64_t context, const TextNoise& noise,
                                                           at::Generator& gen) {
    if (noise.remove <= 0 && noise.substitute <= 0) return text_windows(ids, indices, context);
    const int64_t windows = text_window_count(ids, context);
    // Corpus ids are bytes (text_corpus.h); any other integer type is read as int64. Either way
    // only the windows are converted, never the whole corpus.
    const auto text = ids.scalar_type() == torch::kUInt8
                          ? ids.to(torch::kCPU).contiguous()
                          : ids.to(torch::kCPU, torch::kInt64).contiguous();
    const auto idx = indices.to(torch::kCPU, torch::kInt64).contiguous();
    const int64_t b = idx.numel(), span = context + 1, length = text.numel();
    const bool bytes = text.scalar_type() == torch::kUInt8;
    const uint8_t* t8 = bytes ? text.data_ptr<uint8_t>() : nullptr;
    const int64_t* t64 = bytes ? nullptr : text.data_ptr<int64_t>();
    const auto t = [t8, t64](int64_t pos) { return t8 ? int64_t{t8[pos]} : t64[pos]; };
    auto window = torch::empty({b, span}, torch::kInt64);
    int64_t* out = window.data_ptr<int64_t>();
    // Two window lengths of decisions: at rates up to 0.2 running out of them is negligible.
    const int64_t decisions = 2 * span;
    torch::Tensor r =
        noise.remove > 0 ? torch::rand({b, decisions}, gen) : torch::ones({b, decisions});
    const float* rp = r.data_ptr<float>();
    for (int64_t row = 0; row < b; ++row) {
        const int64_t w = idx.data_ptr<int64_t>()[row];
        if (w < 0 || w >= windows) throw std::out_of_range("noisy_text_windows: window index");
        int64_t pos = w * context, filled = 0, j = 0;
        while (filled < span) {
            const int64_t still_needed = span - filled;
            const bool drop = j < decisions && rp[row * decisions + j] < noise.remove &&
                              length - pos - 1 >= still_needed;
            if (!drop) out[row * span + filled++] = t(pos);
            ++pos;
            ++j;
        }
    }
    auto x = window.narrow(1, 0, context).clone();
    auto y = window.narrow(1, 1, context).contiguous();
    if (noise.substitute > 0 && noise.vocab > 0) {
        auto mask = torch::rand({b, context}, gen) < noise.substitute;
        auto random = torch::randint(noise.vocab, {b, context}, gen, torch::kInt64);
        x = torch::where(mask, random, x);
    }
    return {x.to(ids.device()), y.to(ids.device())};
}

}  // namespace wb::engine::data
