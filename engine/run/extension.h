// RunExtension: a feature that takes part in every run (pruning, the generator EMA, and the
// features to come: data-parallel all-reduce, distillation, quantization, growth) through fixed
// hooks of the run loop, so that neither the loop nor any trainer names it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/api/engine.h"
#include "engine/api/run_config.h"
#include "engine/models/network.h"
#include "engine/train/optimizers.h"

namespace wb::engine {

class Trainer;
struct Metric;
struct StepOutput;

/// What the run loop is asked to do before its next step; data parallel makes every rank agree.
struct RunControl {
    bool stop = false;
    bool pause = false;
};

/// What the run loop lends its extensions. Valid from configure() to the end of the run.
struct RunHost {
    const api::RunConfig& config;
    torch::Device device;
    Trainer& trainer;
    /// Completed steps so far.
    const int64_t& step;
    std::function<void(const std::string& name, double value)> metric;
    std::function<void(const std::string& level, const std::string& text)> log;
    /// A fact about the run for its environment record (RunEvent::attribute): key, JSON value.
    std::function<void(const std::string& key, const std::string& json)> attribute;
    /// Seconds the run has trained so far, paused time excluded (the wall_s of its events).
    std::function<double()> wall_s;
    /// Tells every extension that the trainer's parameters were replaced (a growth).
    std::function<void()> params_changed;
    /// The run's request: its checkpoint folder, and the process group it joins.
    const api::StartRequest& request;
    /// What this process has been asked to do (stop, pause), before the ranks agree on it.
    std::function<RunControl()> requested;
    /// Several ranks: the energy this rank adds to the run's this session (the energy
    /// extension sets it after every step), and every rank's, as the step's reduction last
    /// gathered them (data parallel fills it; index: rank). Empty for one process.
    double own_joules = 0;
    std::vector<double> rank_joules;
};

/// What export lends its extensions: the model's networks with a checkpoint's weights, built
/// without a trainer, data or optimizers (engine/export/model_export.cpp).
struct ExportHost {
    const api::RunConfig& config;
    /// Every network the model trains, by registry name.
    std::map<std::string, models::Network>& networks;
    /// The one written to the file (a GAN's "g").
    models::Network& deployed;
};

/// Every hook does nothing unless overridden. Hooks run in registration order
/// (engine/run/extensions.cpp); the loop calls them, never the trainers.
class RunExtension {
public:
    virtual ~RunExtension() = default;
    /// Its checkpoint key; its state is stored under it and nowhere else.
    virtual const char* key() const = 0;
    /// Once, after the trainer is built and before a checkpoint is restored. Throws
    /// std::invalid_argument for a config the model cannot take (a config error).
    virtual void configure(RunHost& host) { (void)host; }
    /// Once, before the first step of this session; `restored`: a checkpoint was loaded.
    virtual void on_start(RunHost& host, bool restored) { (void)host, (void)restored; }
    /// Gradients of one optimizer's parameters are ready, before its step.
    virtual void after_backward(RunHost& host, const OptimizerStepInfo& s) { (void)host, (void)s; }
    /// One optimizer step was taken.
    virtual void after_optimizer_step(RunHost& host, const OptimizerStepInfo& s) {
        (void)host, (void)s;
    }
    /// The trainer's whole step is done (for a GAN: every D and G update).
    virtual void after_step(RunHost& host) { (void)host; }
    /// Before each step, and while paused: what every rank will do next (data parallel: stop or
    /// pause when any rank asks to).
    virtual void agree(RunHost& host, RunControl& control) { (void)host, (void)control; }
    /// The step's output before it is recorded, `step_s` its time: data parallel turns each
    /// rank's metrics into the whole batch's.
    virtual void reduce_step(RunHost& host, StepOutput& out, double step_s) {
        (void)host, (void)out, (void)step_s;
    }
    /// Around an evaluation or a sample: e.g. swap averaged weights in, and back out.
    virtual void before_inference(RunHost& host) { (void)host; }
    virtual void after_inference(RunHost& host) { (void)host; }
    /// After the trainer's evaluation: add the extension's own quality metrics.
    virtual void on_eval(RunHost& host, std::vector<Metric>* metrics) { (void)host, (void)metrics; }
    /// The run's last step is done (completed or stopped), before the final checkpoint.
    virtual void on_end(RunHost& host) { (void)host; }
    /// The parameter set changed (a network grew): rebuild whatever holds parameters.
    virtual void on_params_changed(RunHost& host) { (void)host; }
    /// Export: change the deployed network as the feature ships it (pruning removes the pruned
    /// units). `state` is what the checkpoint holds under key(), nullptr when nothing.
    virtual void on_export(ExportHost& host, torch::serialize::InputArchive* state) {
        (void)host, (void)state;
    }
    virtual void save(torch::serialize::OutputArchive& archive) { (void)archive; }
    /// `archive` is null when the checkpoint holds no state under key() (saved without the
    /// feature); `step` is the checkpoint's.
    virtual void load(RunHost& host, torch::serialize::InputArchive* archive, int64_t step) {
        (void)host, (void)archive, (void)step;
    }
};

/// One entry of the registry: its name and a factory that returns nullptr when the config does
/// not switch the feature on.
struct ExtensionEntry {
    const char* name;
    std::function<std::unique_ptr<RunExtension>(const api::RunConfig&)> make;
};

/// Every extension, in hook order.
const std::vector<ExtensionEntry>& extension_registry();

/// The extensions `config` switches on, in registry order.
std::vector<std::unique_ptr<RunExtension>> make_extensions(const api::RunConfig& config);

/// configure() of each, in order; a std::invalid_argument becomes the run's config failure.
void configure_extensions(const std::vector<std::unique_ptr<RunExtension>>& extensions,
                          RunHost& host);

}  // namespace wb::engine
