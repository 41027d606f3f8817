// GAN training for the MLP GAN on 2-D points and the DCGAN / ProGAN image models: the loss
// (non-saturating, hinge, WGAN-GP), the D/G update ratio, DiffAugment, the generator EMA and
// progressive growing. Quality: modes covered on mixture2d, FID/KID on images.
#pragma once

#include <memory>
#include <optional>

#include "engine/data/idx.h"
#include "engine/data/sampler.h"
#include "engine/eval/fid_metric.h"
#include "engine/train/diff_augment.h"
#include "engine/train/gan_losses.h"
#include "engine/train/gan_schedule.h"
#include "engine/train/trainer.h"

namespace wb::engine {

class GanTrainer final : public TrainerBase {
public:
    GanTrainer(const api::RunConfig& config, torch::Device device, at::Generator gen);
    StepOutput step() override;
    std::vector<Metric> evaluate(at::Generator& gen) override;
    Sample sample(at::Generator& gen) override;
    void save(torch::serialize::OutputArchive& archive) override;
    void load(torch::serialize::InputArchive& archive) override;
    std::string describe() const override;
    void set_logger(eval::LogFn log) override { m_log = std::move(log); }
    void set_attribute_sink(
        std::function<void(const std::string&, const std::string&)> f) override {
        m_attribute = std::move(f);
    }
    torch::nn::Module* network(const std::string& name) override;
    prune::Layout prune_layout() override;
    prune::Deployable deployable() override;

private:
    // A network and how to call it; ProGAN's forward also takes the current level and alpha.
    // `net` is the layer stack pruning walks (DCGAN, MLP); ProGAN's blocks have their own.
    struct Net {
        std::shared_ptr<torch::nn::Module> module;
        std::function<torch::Tensor(const torch::Tensor&)> forward;
        torch::nn::Sequential net{nullptr};
    };
    Net make_generator();
    Net make_discriminator();

    /// The next real batch: sampled indices (images) and the images at the current resolution.
    torch::Tensor real_batch(int64_t n, std::optional<data::SamplerBatch>* batch);
    /// The discriminator's loss on each real image [B] (an image judged in a PacGAN pack gets
    /// its pack's loss), from its scores [B/pack]; >= 0, the hard sampler's priority.
    torch::Tensor per_image_real_loss(const torch::Tensor& d_real) const;
    /// Per-image real loss of training images under the current discriminator, no gradient.
    torch::Tensor score(const torch::Tensor& indices);
    torch::Tensor noise(int64_t n, at::Generator& gen) const;
    torch::Tensor augment(const torch::Tensor& x);
    torch::Tensor generate(const torch::Tensor& z);
    int64_t batch_size() const;

    bool m_images = false;
    bool m_progan = false;
    int64_t m_latent = 0;
    GanLoss m_loss;
    DiffAugmentPolicy m_augment;
    DStepsController m_d_steps;
    ProgressivePhase m_phase{3, 1.0};  ///< ProGAN: 32x32 unless growing
    int64_t m_images_seen = 0;         ///< real images shown to the discriminator
    Net m_g, m_d;
    OptimizerStep* m_opt_g = nullptr;
    OptimizerStep* m_opt_d = nullptr;
    eval::LogFn m_log = [](const std::string&, const std::string&) {};
    std::function<void(const std::string&, const std::string&)> m_attribute =
        [](const std::string&, const std::string&) {};
    // mixture2d
    torch::Tensor m_centers;
    // images
    std::optional<data::ImageData> m_data;
    std::unique_ptr<data::Sampler> m_sampler;
    std::optional<eval::FidMetric> m_fid;
    torch::Tensor m_fixed_noise;
};

}  // namespace wb::engine
