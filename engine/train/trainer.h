// Trainer: one model family's training step, evaluation, sample and state, behind one interface
// so the run loop (engine/run.cpp) is the same for GANs, VAEs and the language model.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/amp/loss_scaler.h"
#include "engine/api/run_config.h"
#include "engine/compat.h"
#include "engine/dist/collectives.h"
#include "engine/models/network.h"
#include "engine/models/sync_batch_norm.h"
#include "engine/train/distill.h"
#include "engine/train/optimizers.h"

namespace wb::grow {
class Growable;
}

namespace wb::engine {

struct Metric {
    std::string name;
    double value = 0;
};

struct StepOutput {
    std::vector<Metric> metrics;  ///< loss terms and model-specific diagnostics
    int64_t samples = 0;          ///< examples consumed by this step
    int64_t tokens = 0;           ///< tokens consumed (language model), else 0
};

struct Sample {
    std::string kind;  ///< api::kSamplePng, kSampleText or kSamplePoints
    std::string bytes;
};

class Trainer {
public:
    virtual ~Trainer() = default;
    /// Before step(): `step` is the 0-based index of the step about to run (sets the scheduled
    /// learning rate).
    virtual void begin_step(int64_t step) = 0;
    /// One optimizer step (for GANs: one discriminator and one generator update).
    virtual StepOutput step() = 0;
    /// After step(): updates the loss scale and adds the optimizer metrics to `out` (grad/norm
    /// only on the steps where it was computed, see kGradNormEvery).
    virtual void end_step(StepOutput& out) = 0;
    /// Quality metrics on held-out data or fresh samples; draws randomness only from `gen`.
    virtual std::vector<Metric> evaluate(at::Generator& gen) = 0;
    /// A preview of what the model makes now; draws randomness only from `gen`.
    virtual Sample sample(at::Generator& gen) = 0;
    /// Models, optimizers and data position (the run saves step, RNG and time itself).
    virtual void save(torch::serialize::OutputArchive& archive) = 0;
    virtual void load(torch::serialize::InputArchive& archive) = 0;
    /// State every trainer has (the loss scaler); load accepts archives without it.
    virtual void save_shared(torch::serialize::OutputArchive& archive) = 0;
    virtual void load_shared(torch::serialize::InputArchive& archive) = 0;
    /// Calls `after_backward` when each optimizer's gradients are ready and `after_step` after
    /// each optimizer step taken (the run loop passes them on to its extensions).
    virtual void on_optimizer_events(OptimizerStep::Hook after_backward,
                                     OptimizerStep::Hook after_step) = 0;
    /// Calls `hook` before each optimizer's backward pass (after its gradients were zeroed).
    virtual void on_before_backward(OptimizerStep::Hook hook) = 0;
    /// A network by name ("g", "d", "vae", "gpt", as the model registry lists them), with its
    /// layout; nullptr when the model has none of that name.
    virtual models::Network* network(const std::string& name) = 0;
    /// Sizes of its networks that the data decided (a language model's vocabulary).
    virtual models::DataDims data_dims() const { return {}; }
    /// Its model's growth while training (engine/grow), or nullptr when it cannot grow.
    virtual grow::Growable* growable() { return nullptr; }
    /// A fixed batch of what the deployed network takes (noise, test images, text windows), on
    /// the trainer's device: what deployment is timed on and, later, calibrated with.
    virtual torch::Tensor deploy_input() = 0;
    /// The learning rate the last step used.
    virtual double lr() const = 0;
    /// One line for the run log: parameter counts and data source.
    virtual std::string describe() const = 0;
    /// Where to report slow one-off work (level "info"/"warning", text) while it happens, e.g.
    /// training the FID feature extractor; trainers without such work ignore it.
    virtual void set_logger(std::function<void(const std::string&, const std::string&)> log) {
        (void)log;
    }
    /// Where to report facts learnt while training (key, JSON value), kept with the run's
    /// environment, e.g. which FID extractor measured it; trainers that learn none ignore it.
    virtual void set_attribute_sink(std::function<void(const std::string&, const std::string&)> f) {
        (void)f;
    }
    /// Distributed training (engine/dist). Data parallel: from now on each step trains on this
    /// rank's share of the global batch, and what the ranks must agree on (sampler scores, batch
    /// statistics, the adaptive GAN schedule) goes through `c`. Pipeline (a trainer that can be
    /// split, the GPT's): this rank trains its stage of the model on every example. nullptr:
    /// one process.
    virtual void set_collectives(dist::Collectives* c) = 0;
    /// Distillation (distill.*): from now on the model also learns to match `teacher`'s
    /// outputs. Throws std::invalid_argument naming distill.teacher when this trainer cannot
    /// learn from it (another family, another vocabulary): a config error.
    virtual void set_teacher(TeacherModel teacher) {
        throw std::invalid_argument("distill.teacher: this model cannot learn from " +
                                    teacher.label + "; set distill.teacher=0");
    }
    /// Before rank 0 alone evaluates, samples or checkpoints; every rank calls it at the same
    /// step. A model split over the ranks (pipeline stages) brings every stage's weights to
    /// every rank and, with `optimizer_state` (for a checkpoint), every stage's optimizer state
    /// to rank 0. A whole model does nothing.
    virtual void assemble_model(bool optimizer_state) { (void)optimizer_state; }
    /// After that checkpoint: rank 0 forgets the other stages' optimizer state again.
    virtual void release_assembled() {}
};

/// Without clipping or fp16 loss scaling, which need it every step, the global gradient norm
/// (grad/norm) is computed and reported on every kGradNormEvery-th step and the last one only:
/// it costs about a dozen tensor ops per optimizer step, a few percent of a small model's step.
constexpr int64_t kGradNormEvery = 10;

/// What every trainer keeps: its config, its device, the run's generator, its optimizers with
/// the shared loss scaler, and the precision its forward passes run in.
class TrainerBase : public Trainer {
public:
    void begin_step(int64_t step) override;
    void end_step(StepOutput& out) override;
    void save_shared(torch::serialize::OutputArchive& archive) override;
    void load_shared(torch::serialize::InputArchive& archive) override;
    void on_optimizer_events(OptimizerStep::Hook after_backward,
                             OptimizerStep::Hook after_step) override {
        for (auto& o : m_optimizers) {
            o->add_after_backward(after_backward);
            o->add_after_step(after_step);
        }
    }
    void on_before_backward(OptimizerStep::Hook hook) override {
        for (auto& o : m_optimizers) o->add_before_backward(hook);
    }
    double lr() const override { return m_lr; }
    void set_collectives(dist::Collectives* c) override;

protected:
    TrainerBase(const api::RunConfig& config, torch::Device device, at::Generator gen);

    /// A new optimizer over `params`, stepped through the shared loss scaler; `name` is empty
    /// for a trainer's only optimizer, else it suffixes its metrics (grad/norm_d).
    OptimizerStep& add_optimizer(std::string name, std::vector<torch::Tensor> params);
    /// Autocast for forward passes and losses in training (precision bf16/fp16); does nothing
    /// for fp32. Backward runs outside it.
    compat::AutocastGuard autocast() const;

    /// Every rank's `local` rows, in rank order: the whole batch's (e.g. per-example losses for
    /// the sampler); `local` itself in one process.
    torch::Tensor gather(const torch::Tensor& local) const;
    /// The mean of `v` over the ranks; `v` in one process.
    double mean_over_ranks(double v) const;
    /// Opened around a training step's forward and backward passes: batch norm layers then
    /// normalise over the whole batch of every rank.
    models::BatchStatsScope batch_stats() const {
        const bool sync = m_comm && m_config.dist.sync_batch_norm;
        return models::BatchStatsScope(sync ? &m_sum_over_ranks : nullptr);
    }

    api::RunConfig m_config;
    torch::Device m_device;
    at::Generator m_gen;
    amp::LossScaler m_scaler;
    std::vector<std::unique_ptr<OptimizerStep>> m_optimizers;
    double m_lr;
    /// This rank's share of each global batch (everything in one process).
    dist::Shard m_shard;
    dist::Collectives* m_comm = nullptr;
    models::SumOverRanks m_sum_over_ranks;
};

/// Parameters of a module, counted.
int64_t parameter_count(const torch::nn::Module& m);

/// Writes/reads a module or an optimizer as a nested archive under `key`.
void save_part(torch::serialize::OutputArchive& archive, const std::string& key,
               const torch::nn::Module& m);
void save_part(torch::serialize::OutputArchive& archive, const std::string& key,
               const torch::optim::Optimizer& o);
void load_part(torch::serialize::InputArchive& archive, const std::string& key,
               torch::nn::Module& m);
void load_part(torch::serialize::InputArchive& archive, const std::string& key,
               torch::optim::Optimizer& o);

}  // namespace wb::engine
