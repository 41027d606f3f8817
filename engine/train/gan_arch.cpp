// The fixed-shape GANs and ProGAN's progressive growing behind GanArch.
#include "engine/train/gan_arch.h"

namespace wb::engine {
namespace {

class FixedGan final : public GanArch {
public:
    FixedGan(const api::RunConfig& config, GanNetworkBuilder build) : GanArch(config) {
        g = build(config, "g");
        d = build(config, "d");
    }
};

class ProGan final : public GanArch {
public:
    explicit ProGan(const api::RunConfig& config)
        : GanArch(config),
          m_progressive(config.progressive),
          m_g(models::make_progan_generator(config)),
          m_d(models::make_progan_discriminator(config)) {
        g = models::progan_network(m_g);
        d = models::progan_network(m_d);
        set_images_seen(0);
    }

    torch::Tensor generate(const torch::Tensor& z) override {
        return m_g->forward(z, m_phase.level, m_phase.alpha);
    }
    torch::Tensor discriminate(const torch::Tensor& x) override {
        return m_d->forward(x, m_phase.level, m_phase.alpha);
    }
    // Real images go through the same resolution and fade as the generator's output.
    torch::Tensor real_at(const torch::Tensor& x) const override {
        return models::progan_real_at(x, m_phase.level, m_phase.alpha);
    }
    void set_images_seen(int64_t images_seen) override {
        if (m_progressive.enabled)
            m_phase = progressive_phase(images_seen, m_progressive.fade_images,
                                        m_progressive.stable_images, models::kProganLevels);
    }
    int64_t batch_size() const override {
        const auto& p = m_progressive;
        if (!p.enabled) return m_batch_size;
        const int64_t by_level[] = {p.batch_4, p.batch_8, p.batch_16, p.batch_32};
        const int64_t b = by_level[m_phase.level];
        return b > 0 ? b : m_batch_size;
    }
    void append_metrics(std::vector<Metric>* out, int64_t images_seen) const override {
        out->push_back(
            {"progressive/resolution", static_cast<double>(models::progan_side(m_phase.level))});
        out->push_back({"progressive/alpha", m_phase.alpha});
        out->push_back({"progressive/images_seen", static_cast<double>(images_seen)});
    }

private:
    api::ProgressiveConfig m_progressive;
    models::ProGenerator m_g;
    models::ProDiscriminator m_d;
    ProgressivePhase m_phase{models::kProganLevels - 1, 1.0};  ///< 32x32 unless growing
};

}  // namespace

std::unique_ptr<GanArch> make_fixed_gan(const api::RunConfig& config, GanNetworkBuilder build) {
    return std::make_unique<FixedGan>(config, build);
}

std::unique_ptr<GanArch> make_progan(const api::RunConfig& config) {
    return std::make_unique<ProGan>(config);
}

}  // namespace wb::engine
