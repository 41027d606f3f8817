// Character-level language-model training: sampled fixed windows of the training text (see
// text_windows.h), validation loss on random windows of the held-out text, generated text.
#pragma once

#include <memory>

#include "engine/data/sampler.h"
#include "engine/data/text_corpus.h"
#include "engine/grow/growable.h"
#include "engine/models/network.h"
#include "engine/train/lm_pipeline.h"
#include "engine/train/trainer.h"

namespace wb::engine {

class LmTrainer final : public TrainerBase, public grow::Growable {
public:
    LmTrainer(const api::RunConfig& config, torch::Device device, at::Generator gen);
    StepOutput step() override;
    std::vector<Metric> evaluate(at::Generator& gen) override;
    Sample sample(at::Generator& gen) override;
    void save(torch::serialize::OutputArchive& archive) override;
    void load(torch::serialize::InputArchive& archive) override;
    std::string describe() const override;
    models::Network* network(const std::string& name) override {
        return name == "gpt" ? &m_net : nullptr;
    }
    models::DataDims data_dims() const override;
    torch::Tensor deploy_input() override;
    grow::Growable* growable() override { return m_pipeline ? nullptr : this; }
    void set_collectives(dist::Collectives* c) override;
    void set_teacher(TeacherModel teacher) override;
    void assemble_model(bool optimizer_state) override;
    void release_assembled() override;
    void set_logger(std::function<void(const std::string&, const std::string&)> log) override {
        m_log = std::move(log);
    }

    api::GptShape shape() const override;
    int64_t parameters() const override { return parameter_count(*m_gpt); }
    void grow_to(const api::GptShape& target, grow::DeepenMethod method, double noise) override;
    double probe_loss() override;

private:
    /// Mean next-character loss of each window [B], from logits [B,T,V] and targets [B,T].
    torch::Tensor per_window_loss(const torch::Tensor& logits, const torch::Tensor& y) const;
    /// Per-window loss of training windows under the current model (no dropout, no gradient).
    torch::Tensor score(const torch::Tensor& indices);
    /// The step's forward and backward passes through this pipeline stage (of this replica's
    /// share of the batch, in hybrid); the per-window losses of the whole batch.
    torch::Tensor pipeline_passes(const torch::Tensor& x, const torch::Tensor& y,
                                  const torch::Tensor& weights);
    /// Trains `gpt` from now on, with `optimizer` over its parameters (after a growth, or for a
    /// checkpoint of a grown model).
    void adopt(models::Gpt gpt, std::unique_ptr<torch::optim::Optimizer> optimizer);

    data::TextCorpus m_corpus;
    models::Gpt m_gpt{nullptr};
    models::Network m_net;
    OptimizerStep* m_opt = nullptr;
    at::Generator m_dropout_gen;
    std::unique_ptr<data::Sampler> m_sampler;
    /// Hybrid: this rank's pipeline (its replica's stages) and its stage's replicas.
    std::shared_ptr<dist::Collectives> m_pipeline_group, m_replica_group;
    std::shared_ptr<models::GptImpl> m_teacher;  ///< distill.teacher's GPT, frozen
    std::unique_ptr<LmPipeline> m_pipeline;  ///< dist.mode=pipeline or hybrid over several ranks
    std::function<void(const std::string&, const std::string&)> m_log;
};

}  // namespace wb::engine
