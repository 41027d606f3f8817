// Trainer: one model family's training step, evaluation, sample and state, behind one interface
// so the run loop (engine/run.cpp) is the same for GANs, VAEs and the language model.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/api/run_config.h"

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
    /// One optimizer step (for GANs: one discriminator and one generator update).
    virtual StepOutput step() = 0;
    /// Quality metrics on held-out data or fresh samples; draws randomness only from `gen`.
    virtual std::vector<Metric> evaluate(at::Generator& gen) = 0;
    /// A preview of what the model makes now; draws randomness only from `gen`.
    virtual Sample sample(at::Generator& gen) = 0;
    /// Models, optimizers and data position (the run saves step, RNG and time itself).
    virtual void save(torch::serialize::OutputArchive& archive) = 0;
    virtual void load(torch::serialize::InputArchive& archive) = 0;
    /// The learning rate the last step used.
    virtual double lr() const = 0;
    /// One line for the run log: parameter counts and data source.
    virtual std::string describe() const = 0;
    /// Where to report slow one-off work (level "info"/"warning", text) while it happens, e.g.
    /// training the FID feature extractor; trainers without such work ignore it.
    virtual void set_logger(std::function<void(const std::string&, const std::string&)> log) {
        (void)log;
    }
};

/// What every trainer keeps: its config, its device and the run's generator.
class TrainerBase : public Trainer {
public:
    double lr() const override { return m_config.optim.lr; }

protected:
    TrainerBase(const api::RunConfig& config, torch::Device device, at::Generator gen)
        : m_config(config), m_device(device), m_gen(std::move(gen)) {}

    api::RunConfig m_config;
    torch::Device m_device;
    at::Generator m_gen;
};

/// Builds the trainer for `config.model.kind`, loading its data (throws data::DataError).
/// `gen` is the run's generator for noise and data order, on the CPU.
std::unique_ptr<Trainer> make_trainer(const api::RunConfig& config, torch::Device device,
                                      at::Generator gen);

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
