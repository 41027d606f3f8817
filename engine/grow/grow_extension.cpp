// The growth schedule at the run loop's hooks (see grow_extension.h).
#include "engine/grow/grow_extension.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "engine/grow/growable.h"
#include "engine/train/trainer.h"

namespace wb::grow {
namespace {

using engine::RunHost;

std::string shape_text(const api::GptShape& s) {
    return std::to_string(s.layers) + " blocks of width " + std::to_string(s.width) + " (" +
           std::to_string(s.heads) + " heads)";
}

class GrowExtension final : public engine::RunExtension {
public:
    explicit GrowExtension(const api::RunConfig& c)
        : m_stages(api::grow_stages(c)),
          m_method(c.grow.method == "stack" ? DeepenMethod::Stack : DeepenMethod::Identity),
          m_noise(c.grow.noise) {}

    const char* key() const override { return "grow"; }

    void configure(RunHost& host) override {
        m_model = host.trainer.growable();
        if (!m_model)
            throw std::invalid_argument(
                "grow.at_steps: only the language model (model.kind gpt) can grow; clear "
                "grow.at_steps");
        std::string plan = "growth schedule, new blocks as " +
                           std::string(m_method == DeepenMethod::Stack ? "copies of the trained "
                                                                         "ones (stack)"
                                                                       : "identities") +
                           ": " + shape_text(api::initial_shape(host.config.model));
        for (const auto& s : m_stages)
            plan += ", then " + shape_text(s.shape) + " after step " + std::to_string(s.step);
        host.log("info", plan);
    }

    void on_start(RunHost& host, bool restored) override {
        (void)restored;
        host.metric("model/params", static_cast<double>(m_model->parameters()));
        host.metric("grow/events", static_cast<double>(events_until(host.step)));
    }

    void after_step(RunHost& host) override {
        for (const auto& s : m_stages)
            if (s.step == host.step) grow(host, s);
    }

private:
    int64_t events_until(int64_t step) const {
        int64_t n = 0;
        for (const auto& s : m_stages) n += s.step <= step ? 1 : 0;
        return n;
    }

    void grow(RunHost& host, const api::GrowStage& stage) {
        const api::GptShape before_shape = m_model->shape();
        const int64_t before_params = m_model->parameters();
        const double before = m_model->probe_loss();
        const auto t0 = std::chrono::steady_clock::now();
        m_model->grow_to(stage.shape, m_method, m_noise);
        host.params_changed();
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        const double after = m_model->probe_loss();
        host.metric("model/params", static_cast<double>(m_model->parameters()));
        host.metric("grow/events", static_cast<double>(events_until(host.step)));
        host.metric("grow/loss_before", before);
        host.metric("grow/loss_after", after);
        host.metric("grow/ms", ms);
        char line[320];
        std::snprintf(line, sizeof line,
                      "grew the model after step %lld: %s -> %s, %lld -> %lld parameters in "
                      "%.0f ms; loss on a fixed held-out batch %.4f before, %.4f after (%+.2f%%)",
                      static_cast<long long>(host.step), shape_text(before_shape).c_str(),
                      shape_text(m_model->shape()).c_str(), static_cast<long long>(before_params),
                      static_cast<long long>(m_model->parameters()), ms, before, after,
                      100.0 * (after - before) / std::max(1e-12, std::fabs(before)));
        host.log("info", line);
    }

    std::vector<api::GrowStage> m_stages;
    DeepenMethod m_method;
    double m_noise;
    Growable* m_model = nullptr;
};

}  // namespace

std::unique_ptr<engine::RunExtension> make_grow_extension(const api::RunConfig& config) {
    if (config.grow.at_steps.empty()) return nullptr;
    return std::make_unique<GrowExtension>(config);
}

}  // namespace wb::grow
