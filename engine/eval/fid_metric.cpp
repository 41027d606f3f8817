// Lazily prepared reference statistics and the per-evaluation FID/KID.
#include "engine/eval/fid_metric.h"

#include <algorithm>

namespace wb::engine::eval {

torch::Tensor upscale_to_32(const torch::Tensor& images) {
    const int64_t factor = data::kImageSide / images.size(2);
    if (factor == 1) return images;
    return images.repeat_interleave(factor, 2).repeat_interleave(factor, 3);
}

FidMetric::FidMetric(std::string extractor_path, const data::ImageData& data, int64_t count,
                     LogFn log, IdentityFn identity)
    : m_path(extractor_path.empty() ? default_extractor_path() : std::move(extractor_path)),
      m_data(data),
      m_count(std::min(count, data.test.images.size(0))),
      m_log(std::move(log)),
      m_identity(std::move(identity)) {}

data::ImageData FidMetric::fashion_mnist() const {
    if (m_data.train.images.size(0) == kFashionMnistTrainImages &&
        training_set_crc(m_data.train) == kFashionMnistTrainCrc)
        return m_data;
    return data::load_fashion_mnist(data::kDefaultFashionMnistDir);
}

bool FidMetric::prepare() {
    try {
        m_extractor = load_or_train_extractor(
            m_path, [this] { return fashion_mnist(); }, m_log);
    } catch (const std::exception& e) {
        // ExtractorError or DataError: the run goes on; its quality metrics are what is lost.
        m_unavailable = true;
        m_log("warning",
              std::string("quality/fid and quality/kid are unavailable for this run: ") + e.what());
        return false;
    }
    m_log("info", "quality/fid and quality/kid: " + std::to_string(m_count) +
                      " generated vs the first " + std::to_string(m_count) +
                      " test images of the run's data, on the features of " +
                      m_extractor->describe());
    if (m_identity) m_identity(m_extractor->identity_json());
    m_real_features = extract_features(m_extractor->net, m_data.test.images.narrow(0, 0, m_count));
    m_real_stats = gaussian_stats(m_real_features);
    return true;
}

std::vector<std::pair<std::string, double>> FidMetric::measure(
    const std::function<torch::Tensor(int64_t)>& generate) {
    if (m_unavailable || (!m_extractor && !prepare())) return {};
    constexpr int64_t kChunk = 500;
    std::vector<torch::Tensor> features;
    for (int64_t done = 0; done < m_count; done += kChunk) {
        const int64_t k = std::min(kChunk, m_count - done);
        auto images = upscale_to_32(generate(k).to(torch::kCPU, torch::kFloat32));
        features.push_back(extract_features(m_extractor->net, images));
    }
    auto fake = torch::cat(features);
    return {{"quality/fid", frechet_distance(gaussian_stats(fake), m_real_stats)},
            {"quality/kid", kernel_distance(fake, m_real_features)}};
}

}  // namespace wb::engine::eval
