// quality/fid and quality/kid for an image GAN during training: generated images against the
// first N real test images, on the canonical Fashion-MNIST feature extractor (loaded, or trained,
// on first use), whatever images the run trains on.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/data/idx.h"
#include "engine/eval/feature_extractor.h"
#include "engine/eval/frechet.h"

namespace wb::engine::eval {

using LogFn = std::function<void(const std::string& level, const std::string& text)>;
/// Receives the extractor's identity (Extractor::identity_json) once it is known.
using IdentityFn = std::function<void(const std::string& json)>;

class FidMetric {
public:
    /// `data` must outlive this object: its test images are the reference. The extractor, if it
    /// must be trained, is trained on Fashion-MNIST's training set: `data`'s when it is that set,
    /// else the one in data::kDefaultFashionMnistDir. `count` is capped at the test set's size.
    FidMetric(std::string extractor_path, const data::ImageData& data, int64_t count, LogFn log,
              IdentityFn identity = {});

    /// `generate(k)` returns k images [k, C, s, s] (s <= 32, upsampled here by pixel repetition)
    /// on any device. Returns {"quality/fid", ...}, {"quality/kid", ...}, or nothing when no
    /// usable extractor can be had (said once through the log, with the reason).
    std::vector<std::pair<std::string, double>> measure(
        const std::function<torch::Tensor(int64_t)>& generate);

    int64_t count() const { return m_count; }

private:
    bool prepare();
    data::ImageData fashion_mnist() const;

    std::string m_path;
    const data::ImageData& m_data;
    int64_t m_count;
    LogFn m_log;
    IdentityFn m_identity;
    std::optional<Extractor> m_extractor;
    bool m_unavailable = false;
    GaussianStats m_real_stats;
    torch::Tensor m_real_features;
};

/// Nearest-neighbour upsampling of [N, C, s, s] to [N, C, 32, 32] (s divides 32).
torch::Tensor upscale_to_32(const torch::Tensor& images);

}  // namespace wb::engine::eval
