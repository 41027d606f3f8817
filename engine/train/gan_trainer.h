// GAN training, one loop for every architecture (GanArch: MLP GAN, DCGAN, ProGAN) and data
// (GanData: mixture points or images): the loss (non-saturating, hinge, WGAN-GP), the D/G update
// ratio, DiffAugment and the hard sampler's weights. The generator EMA and pruning are run
// extensions.
#pragma once

#include <memory>
#include <optional>

#include "engine/train/diff_augment.h"
#include "engine/train/gan_arch.h"
#include "engine/train/gan_data.h"
#include "engine/train/gan_losses.h"
#include "engine/train/gan_schedule.h"
#include "engine/train/trainer.h"

namespace wb::engine {

class GanTrainer final : public TrainerBase {
public:
    GanTrainer(const api::RunConfig& config, torch::Device device, at::Generator gen,
               std::unique_ptr<GanArch> arch);
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
    models::Network* network(const std::string& name) override;
    torch::Tensor deploy_input() override { return m_fixed_noise; }

private:
    /// The next real batch, on the device, as the discriminator sees it now.
    torch::Tensor real_batch(int64_t n, std::optional<data::SamplerBatch>* batch);
    /// The discriminator's loss on each real image [B] (an image judged in a PacGAN pack gets
    /// its pack's loss), from its scores [B/pack]; >= 0, the hard sampler's priority.
    torch::Tensor per_image_real_loss(const torch::Tensor& d_real) const;
    /// Per-image real loss of real images (a multiple of the pack), no gradient.
    torch::Tensor judge(const torch::Tensor& real);
    torch::Tensor noise(int64_t n, at::Generator& gen) const;
    torch::Tensor augment(const torch::Tensor& x);
    torch::Tensor generate(const torch::Tensor& z);

    int64_t m_latent = 0;
    GanLoss m_loss;
    DiffAugmentPolicy m_augment;
    DStepsController m_d_steps;
    bool m_hard_weights = false;  ///< the hard sampler's importance weights apply to D's loss
    int64_t m_images_seen = 0;    ///< real examples shown to the discriminator
    std::unique_ptr<GanArch> m_arch;
    OptimizerStep* m_opt_g = nullptr;
    OptimizerStep* m_opt_d = nullptr;
    eval::LogFn m_log = [](const std::string&, const std::string&) {};
    std::function<void(const std::string&, const std::string&)> m_attribute =
        [](const std::string&, const std::string&) {};
    std::unique_ptr<GanData> m_data;
    torch::Tensor m_fixed_noise;  ///< successive previews show the same "people" evolving
};

}  // namespace wb::engine
