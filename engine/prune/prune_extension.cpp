// The schedule, masks and measurements of a pruned run, at the run loop's hooks.
#include "engine/prune/prune_extension.h"

#include <cstdio>
#include <mutex>

#include "engine/prune/measure.h"
#include "engine/prune/pruner.h"
#include "engine/rng_state.h"
#include "engine/train/model_registry.h"

namespace wb::prune {
namespace {

using engine::OptimizerStepInfo;
using engine::RunHost;

// Every trained network's layout, in the registry's order (a GAN: g, then d).
Layout live_layout(RunHost& host) {
    Layout layout;
    for (const auto& name : engine::model_family(host.config.model.kind).networks)
        models::append(layout, host.trainer.network(name)->layout());
    return layout;
}

// A fresh copy of the deployed network with the live weights, timed on the trainer's batch.
Deployable deployable(RunHost& host) {
    const auto& family = engine::model_family(host.config.model.kind);
    auto copy = family.build(host.config, family.deployed(), host.trainer.data_dims());
    models::copy_state(*host.trainer.network(family.deployed())->module, *copy.module);
    copy.module->to(host.device);
    Deployable d;
    d.module = copy.module;
    d.layout = copy.layout();
    d.device = host.device;
    d.infer = [forward = copy.forward, x = host.trainer.deploy_input()] { forward(x); };
    return d;
}

class PruneExtension final : public engine::RunExtension {
public:
    explicit PruneExtension(const api::PruneConfig& config) : m_config(config) {}

    const char* key() const override { return "prune"; }

    void configure(RunHost& host) override {
        m_pruner = std::make_unique<Pruner>(m_config, live_layout(host));
        host.log("info", m_pruner->describe());
    }

    // The model grew (before pruning starts: validate_grow refuses pruning before the last
    // growth), so no mask is lost: the pruner now covers the grown model's tensors.
    void on_params_changed(RunHost& host) override {
        m_pruner = std::make_unique<Pruner>(m_config, live_layout(host));
        host.log("info", "pruning follows the grown model: " + m_pruner->describe());
    }
    void on_start(RunHost& host, bool restored) override {
        if (restored) return;
        report(host);  // the dense model, before any pruning: the baseline
        tick(host);
    }

    // Each optimizer step re-applies the masks of its own parameters (a GAN's generator step
    // then sees the discriminator's pruned weights as zero; re-masking all networks there would
    // modify the generator's weights in place while its step's graph still needs them).
    void after_optimizer_step(RunHost& host, const OptimizerStepInfo& s) override {
        (void)host;
        m_pruner->enforce(s.params);
    }

    // After the trainer's step every mask is enforced once more, covering tensors no optimizer
    // owns, so every evaluation, sample and checkpoint sees them.
    void after_step(RunHost& host) override { tick(host); }

    void on_eval(RunHost& host, std::vector<engine::Metric>* metrics) override {
        (void)host;
        metrics->push_back({"prune/sparsity", m_pruner->sparsity()});
    }

    void on_end(RunHost& host) override {
        if (m_last_report != host.step) report(host);
    }

    // The masks of the checkpoint, over every network as the run had them, then the deployed
    // network compacted (channel) or left with its zeros (unstructured).
    void on_export(engine::ExportHost& host, torch::serialize::InputArchive* state) override {
        Layout layout;
        for (const auto& name : engine::model_family(host.config.model.kind).networks)
            models::append(layout, host.networks.at(name).layout());
        Pruner pruner(m_config, std::move(layout));
        if (state) pruner.load(*state);
        auto deployed = host.deployed.layout();
        pruner.compact(deployed);
    }

    void save(torch::serialize::OutputArchive& archive) override { m_pruner->save(archive); }

    void load(RunHost& host, torch::serialize::InputArchive* archive, int64_t step) override {
        if (archive) {
            m_pruner->load(*archive);
            return;
        }
        // A run trained without pruning and resumed with it: apply what the schedule would have
        // reached by now, so a pruning step in the past is not silently skipped.
        const double s = m_pruner->scheduled(step);
        host.log("warning", "the checkpoint has no pruning masks (it was trained without pruning)" +
                                std::string(s > 0 ? ": pruning to the scheduled sparsity now"
                                                  : ": the schedule starts from the dense model"));
        if (s > 0) m_pruner->prune_to(s);
    }

private:
    void tick(RunHost& host) {
        m_pruner->enforce();
        if (m_pruner->update(host.step)) report(host);
    }

    void report(RunHost& host) {
        Measurement m;
        {
            // The copies' initialisation draws from LibTorch's global generator: put its state
            // back so that measuring never changes what another user of it draws next.
            engine::GlobalGeneratorGuard keep_global_stream;
            m = measure([&host] { return deployable(host); }, m_pruner.get());
        }
        const double sparsity = m_pruner->sparsity();
        host.metric("prune/sparsity", sparsity);
        host.metric("prune/target", m_pruner->current_target());
        host.metric("prune/params", static_cast<double>(m.params));
        host.metric("prune/infer_ms", m.infer_ms);
        host.metric("prune/infer_ms_dense", m.infer_ms_dense);
        host.metric("prune/size_dense_bytes", static_cast<double>(m.size_dense_bytes));
        host.metric("prune/size_compact_bytes", static_cast<double>(m.size_compact_bytes));
        host.metric("prune/size_sparse_bytes", static_cast<double>(m.size_sparse_bytes));
        char line[256];
        std::snprintf(line, sizeof line,
                      "prune measurement at step %lld: sparsity %.1f%%, %lld non-zero parameters, "
                      "inference %.3f ms (unpruned shape %.3f ms), size %lld bytes dense, "
                      "%lld compacted, %lld sparse",
                      static_cast<long long>(host.step), sparsity * 100,
                      static_cast<long long>(m.params), m.infer_ms, m.infer_ms_dense,
                      static_cast<long long>(m.size_dense_bytes),
                      static_cast<long long>(m.size_compact_bytes),
                      static_cast<long long>(m.size_sparse_bytes));
        host.log("info", line);
        m_last_report = host.step;
    }

    api::PruneConfig m_config;
    std::unique_ptr<Pruner> m_pruner;
    int64_t m_last_report = -1;
};

}  // namespace

std::unique_ptr<engine::RunExtension> make_prune_extension(const api::RunConfig& config) {
    if (config.prune.method == "none") return nullptr;
    return std::make_unique<PruneExtension>(config.prune);
}

}  // namespace wb::prune
