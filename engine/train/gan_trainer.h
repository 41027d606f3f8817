// GAN training (non-saturating loss) for the MLP GAN on 2-D points and DCGAN on images.
// Quality on mixture2d: modes covered and the share of high-quality samples.
#pragma once

#include <optional>

#include "engine/data/batch_sampler.h"
#include "engine/data/idx.h"
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

private:
    torch::Tensor real_batch();
    torch::Tensor noise(int64_t n, at::Generator& gen) const;
    torch::Tensor generate(const torch::Tensor& z);

    bool m_images = false;
    int64_t m_latent = 0;
    std::shared_ptr<torch::nn::Module> m_g, m_d;
    std::function<torch::Tensor(const torch::Tensor&)> m_g_forward, m_d_forward;
    OptimizerStep* m_opt_g = nullptr;
    OptimizerStep* m_opt_d = nullptr;
    // mixture2d
    torch::Tensor m_centers;
    // images
    std::optional<data::ImageData> m_data;
    std::optional<data::EpochSampler> m_sampler;
    torch::Tensor m_fixed_noise;
};

}  // namespace wb::engine
