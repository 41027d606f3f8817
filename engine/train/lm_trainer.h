// Character-level language-model training: random windows of the training text, validation
// loss on fixed windows of the held-out text, generated text as the sample.
#pragma once

#include "engine/data/text_corpus.h"
#include "engine/models/gpt.h"
#include "engine/train/trainer.h"

namespace wb::engine {

class LmTrainer final : public Trainer {
public:
    LmTrainer(const api::RunConfig& config, torch::Device device, at::Generator gen);
    StepOutput step() override;
    std::vector<Metric> evaluate(at::Generator& gen) override;
    Sample sample(at::Generator& gen) override;
    void save(torch::serialize::OutputArchive& archive) override;
    void load(torch::serialize::InputArchive& archive) override;
    double lr() const override { return m_config.optim.lr; }
    std::string describe() const override;

private:
    api::RunConfig m_config;
    torch::Device m_device;
    at::Generator m_gen;
    data::TextCorpus m_corpus;
    models::Gpt m_gpt{nullptr};
    std::unique_ptr<torch::optim::Optimizer> m_opt;
};

}  // namespace wb::engine
