// GAN training (non-saturating loss) for the MLP GAN on 2-D points and DCGAN on images.
// Quality on mixture2d: modes covered and the share of high-quality samples.
#pragma once

#include <memory>
#include <optional>

#include "engine/data/idx.h"
#include "engine/data/sampler.h"
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
    prune::Layout prune_layout() override;
    prune::Deployable deployable() override;

private:
    /// The discriminator's loss on each real image [B] (an image judged in a PacGAN pack gets
    /// its pack's loss), from its logits [B/pack].
    torch::Tensor per_image_real_loss(const torch::Tensor& d_real) const;
    /// Per-image real loss of training images under the current discriminator, no gradient.
    torch::Tensor score(const torch::Tensor& indices);
    torch::Tensor noise(int64_t n, at::Generator& gen) const;
    torch::Tensor generate(const torch::Tensor& z);

    bool m_images = false;
    int64_t m_latent = 0;
    std::shared_ptr<torch::nn::Module> m_g, m_d;
    torch::nn::Sequential m_g_net{nullptr}, m_d_net{nullptr};
    std::function<torch::Tensor(const torch::Tensor&)> m_g_forward, m_d_forward;
    OptimizerStep* m_opt_g = nullptr;
    OptimizerStep* m_opt_d = nullptr;
    // mixture2d
    torch::Tensor m_centers;
    // images
    std::optional<data::ImageData> m_data;
    std::unique_ptr<data::Sampler> m_sampler;
    torch::Tensor m_fixed_noise;
};

}  // namespace wb::engine
