// VAE training on Fashion-MNIST: reconstruction + KL, validated on the held-out test images.
// Samples decode a fixed set of prior draws so successive grids are comparable.
#pragma once

#include <memory>

#include "engine/data/idx.h"
#include "engine/data/sampler.h"
#include "engine/models/network.h"
#include "engine/train/trainer.h"

namespace wb::engine {

class VaeTrainer final : public TrainerBase {
public:
    VaeTrainer(const api::RunConfig& config, torch::Device device, at::Generator gen);
    StepOutput step() override;
    std::vector<Metric> evaluate(at::Generator& gen) override;
    Sample sample(at::Generator& gen) override;
    void save(torch::serialize::OutputArchive& archive) override;
    void load(torch::serialize::InputArchive& archive) override;
    std::string describe() const override;
    models::Network* network(const std::string& name) override {
        return name == "vae" ? &m_net : nullptr;
    }
    torch::Tensor deploy_input() override;

private:
    /// Per-image negative ELBO of training images under the current model, no gradient.
    torch::Tensor score(const torch::Tensor& indices);

    models::Vae m_vae{nullptr};
    models::Network m_net;
    OptimizerStep* m_opt = nullptr;
    data::ImageData m_data;
    std::unique_ptr<data::Sampler> m_sampler;
    torch::Tensor m_fixed_z;
};

}  // namespace wb::engine
