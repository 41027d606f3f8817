// Shadow copies of the generator's parameters; buffers (batch-norm statistics) are the live
// generator's own, which is what copying them into a separate averaged network gave before.
#include "engine/ema/generator_ema.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/train/trainer.h"

namespace wb::engine::ema {
namespace {

class GeneratorEma final : public RunExtension {
public:
    explicit GeneratorEma(double decay) : m_decay(decay) {}

    const char* key() const override { return "ema"; }

    void configure(RunHost& host) override {
        auto* g = host.trainer.network("g");
        m_g = g ? g->module.get() : nullptr;
        if (!m_g)
            throw std::invalid_argument(
                "gan.g_ema: the model has no generator to average; set "
                "gan.g_ema=0");
        reset_from_live();
    }

    void on_params_changed(RunHost& host) override {
        (void)host;
        reset_from_live();
    }

    void after_optimizer_step(RunHost& host, const OptimizerStepInfo& s) override {
        (void)host;
        if (s.optimizer != "g") return;
        torch::NoGradGuard no_grad;
        // Warm-up as in TensorFlow's ExponentialMovingAverage(num_updates): a 0.999 average of a
        // few hundred steps would still be mostly the random initial weights.
        const double t = static_cast<double>(m_updates++);
        const double decay = std::min(m_decay, (1.0 + t) / (10.0 + t));
        const auto live = m_g->parameters();
        for (size_t i = 0; i < live.size(); ++i) m_shadow[i].lerp_(live[i], 1.0 - decay);
    }

    void before_inference(RunHost& host) override {
        (void)host;
        torch::NoGradGuard no_grad;
        m_saved.clear();
        for (auto& p : m_g->parameters()) m_saved.push_back(p.detach().clone());
        copy_into_live(m_shadow);
    }

    void after_inference(RunHost& host) override {
        (void)host;
        copy_into_live(m_saved);
        m_saved.clear();
    }

    void save(torch::serialize::OutputArchive& archive) override {
        for (size_t i = 0; i < m_shadow.size(); ++i)
            archive.write("p" + std::to_string(i), m_shadow[i], /*is_buffer=*/true);
        archive.write("updates", c10::IValue(m_updates));
        archive.write("count", c10::IValue(static_cast<int64_t>(m_shadow.size())));
    }

    void load(RunHost& host, torch::serialize::InputArchive* archive, int64_t step) override {
        (void)step;
        if (!archive) {
            host.log("warning",
                     "the checkpoint has no generator average (it was trained without "
                     "gan.g_ema): the average starts from the current weights");
            return;
        }
        c10::IValue count, updates;
        archive->read("count", count);
        if (count.toInt() != static_cast<int64_t>(m_shadow.size()))
            throw std::runtime_error("the generator average in the checkpoint has " +
                                     std::to_string(count.toInt()) + " tensors, the generator " +
                                     std::to_string(m_shadow.size()));
        torch::NoGradGuard no_grad;
        for (size_t i = 0; i < m_shadow.size(); ++i) {
            torch::Tensor t;
            archive->read("p" + std::to_string(i), t, /*is_buffer=*/true);
            m_shadow[i].copy_(t);
        }
        archive->read("updates", updates);
        m_updates = updates.toInt();
    }

private:
    void reset_from_live() {
        torch::NoGradGuard no_grad;
        m_shadow.clear();
        for (auto& p : m_g->parameters()) m_shadow.push_back(p.detach().clone());
    }

    void copy_into_live(const std::vector<torch::Tensor>& from) {
        torch::NoGradGuard no_grad;
        auto live = m_g->parameters();
        for (size_t i = 0; i < live.size(); ++i) live[i].copy_(from[i]);
    }

    double m_decay;
    int64_t m_updates = 0;
    torch::nn::Module* m_g = nullptr;
    std::vector<torch::Tensor> m_shadow, m_saved;
};

}  // namespace

std::unique_ptr<RunExtension> make_generator_ema(const api::RunConfig& config) {
    if (!(config.gan.g_ema > 0)) return nullptr;
    return std::make_unique<GeneratorEma>(config.gan.g_ema);
}

}  // namespace wb::engine::ema
