// Validation loss of a language model on random windows of the held-out text.
#include "engine/train/lm_validation.h"

#include <algorithm>

#include "engine/data/text_corpus.h"

namespace wb::engine {

int64_t lm_validation_windows(const api::RunConfig& config) {
    return std::max<int64_t>(1, config.eval.samples / config.model.context);
}

double lm_validation_loss(const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                          const torch::Tensor& val_ids, int64_t context, int64_t windows,
                          at::Generator& gen, torch::Device device) {
    namespace F = torch::nn::functional;
    torch::NoGradGuard no_grad;
    constexpr int64_t kChunk = 64;
    double total = 0;
    for (int64_t done = 0; done < windows; done += kChunk) {
        const int64_t b = std::min(kChunk, windows - done);
        auto [x, y] = data::text_batch(val_ids, b, context, gen);
        // Softmax and log in fp32 also under autocast, where the logits may be bf16/fp16.
        auto logits = forward(x.to(device)).to(torch::kFloat32);
        total += F::cross_entropy(logits.reshape({-1, logits.size(-1)}), y.to(device).reshape({-1}))
                     .item<double>() *
                 static_cast<double>(b);
    }
    return total / static_cast<double>(windows);
}

}  // namespace wb::engine
