// Mixture points and sampled, augmented images for the GAN update, with their quality metrics.
#include "engine/train/gan_data.h"

#include <nlohmann/json.hpp>

#include "engine/api/run_event.h"
#include "engine/data/difficulty.h"
#include "engine/data/idx.h"
#include "engine/data/mixture2d.h"
#include "engine/image_grid.h"
#include "engine/train/sampling.h"
#include "kernels/mode_coverage.h"

namespace wb::engine {
namespace {

class MixturePoints final : public GanData {
public:
    MixturePoints(const api::RunConfig& config, at::Generator gen)
        : m_config(config),
          m_gen(std::move(gen)),
          m_centers(data::mixture_centers(config.data.modes, config.data.radius)) {}

    torch::Tensor next(int64_t n, std::optional<data::SamplerBatch>*) override {
        return data::sample_mixture(n, m_centers, m_config.data.std, m_gen);
    }

    std::vector<Metric> evaluate(const GenerateFn& fresh, at::Generator&) override {
        const int64_t n = m_config.eval.samples;
        auto pts = fresh(n).to(torch::kFloat32).contiguous();
        auto centers = m_centers.contiguous();
        auto cov = kernels::mode_coverage_cpu(pts.data_ptr<float>(), n, centers.data_ptr<float>(),
                                              centers.size(0),
                                              static_cast<float>(3.0 * m_config.data.std));
        return {
            {"quality/modes_covered", static_cast<double>(kernels::covered_modes(cov))},
            {"quality/hq_fraction", static_cast<double>(cov.hq_total) / static_cast<double>(n)}};
    }

    Sample sample(const GenerateFn& fresh, const std::function<torch::Tensor()>&,
                  at::Generator& gen) override {
        const int64_t n = 1000;
        auto fake = fresh(n);
        auto real = data::sample_mixture(n, m_centers, m_config.data.std, gen);
        auto to_list = [](const torch::Tensor& t) {
            auto c = t.to(torch::kFloat32).contiguous();
            nlohmann::json a = nlohmann::json::array();
            const float* p = c.data_ptr<float>();
            for (int64_t i = 0; i < c.size(0); ++i) a.push_back({p[2 * i], p[2 * i + 1]});
            return a;
        };
        nlohmann::json j = {{"generated", to_list(fake)},
                            {"real", to_list(real)},
                            {"modes", to_list(m_centers)},
                            {"std", m_config.data.std}};
        return {api::kSamplePoints, j.dump()};
    }

    int64_t preview_count() const override { return 1024; }
    std::string source() const override { return "mixture2d (generated)"; }

private:
    api::RunConfig m_config;
    at::Generator m_gen;
    torch::Tensor m_centers;
};

class SampledImages final : public GanData {
public:
    SampledImages(const api::RunConfig& config, at::Generator gen, GanDataHooks hooks)
        : m_config(config),
          m_gen(std::move(gen)),
          m_augment(image_augment(config.augment)),
          m_hooks(std::move(hooks)),
          m_data(data::load_fashion_mnist(config.data.path)) {
        m_sampler = make_sampler(config, m_data.train.images.size(0),
                                 [this] { return data::image_difficulty(m_data.train.images); });
        m_sampler->set_scorer([this](const torch::Tensor& indices) { return score(indices); });
        if (config.eval.fid)
            m_fid.emplace(config.eval.extractor, m_data, config.eval.samples, m_hooks.log,
                          m_hooks.fid_identity);
    }

    torch::Tensor next(int64_t n, std::optional<data::SamplerBatch>* batch) override {
        *batch = m_sampler->next(n);
        auto x = m_data.train.images.index_select(0, (*batch)->indices);
        if (m_augment.flip || m_augment.translate > 0)
            x = data::flip_translate(x, m_augment, m_gen);
        if (m_augment.cutout > 0) x = data::cutout(x, m_augment.cutout, m_gen);
        return x;
    }

    data::Sampler* sampler() override { return m_sampler.get(); }

    std::vector<Metric> evaluate(const GenerateFn& fresh, at::Generator&) override {
        if (!m_fid) return {};
        std::vector<Metric> out;
        for (auto& [name, value] : m_fid->measure(fresh)) out.push_back({name, value});
        return out;
    }

    // Low-resolution phases are shown at 32x32 by pixel repetition, so grids keep one size.
    Sample sample(const GenerateFn&, const std::function<torch::Tensor()>& fixed,
                  at::Generator&) override {
        return {api::kSamplePng, png_grid(eval::upscale_to_32(fixed()), 8)};
    }

    int64_t preview_count() const override { return 64; }
    std::string source() const override { return m_data.source; }

private:
    // The discriminator judges packs: pad the last one with copies, then drop their scores.
    torch::Tensor score(const torch::Tensor& indices) {
        const int64_t n = indices.size(0), pack = m_config.gan.pack;
        const int64_t padded = (n + pack - 1) / pack * pack;
        auto ids = padded == n
                       ? indices
                       : torch::cat({indices, indices.narrow(0, n - 1, 1).expand({padded - n})});
        return m_hooks.judge(m_data.train.images.index_select(0, ids)).narrow(0, 0, n);
    }

    api::RunConfig m_config;
    at::Generator m_gen;
    data::ImageAugment m_augment;
    GanDataHooks m_hooks;
    data::ImageData m_data;
    std::unique_ptr<data::Sampler> m_sampler;
    std::optional<eval::FidMetric> m_fid;
};

}  // namespace

std::unique_ptr<GanData> make_gan_data(const api::RunConfig& config, at::Generator gen,
                                       GanDataHooks hooks) {
    if (config.data.name == "mixture2d")
        return std::make_unique<MixturePoints>(config, std::move(gen));
    return std::make_unique<SampledImages>(config, std::move(gen), std::move(hooks));
}

}  // namespace wb::engine
