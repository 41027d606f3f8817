// Character-level language-model training: random windows of the training text, validation
// loss on fixed windows of the held-out text, generated text as the sample.
#pragma once

#include "engine/data/text_corpus.h"
#include "engine/models/gpt.h"
#include "engine/train/trainer.h"

namespace wb::engine {

class LmTrainer final : public TrainerBase {
public:
    LmTrainer(const api::RunConfig& config, torch::Device device, at::Generator gen);
    StepOutput step() override;
    std::vector<Metric> evaluate(at::Generator& gen) override;
    Sample sample(at::Generator& gen) override;
    void save(torch::serialize::OutputArchive& archive) override;
    void load(torch::serialize::InputArchive& archive) override;
    std::string describe() const override;

private:
    data::TextCorpus m_corpus;
    models::Gpt m_gpt{nullptr};
    OptimizerStep* m_opt = nullptr;
};

}  // namespace wb::engine
