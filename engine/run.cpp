// The training loop of one run: set-up, resume, steps, pause/stop, timing and events. Features take
// part as run extensions (run/extension.h); failures become statuses in run/run_failure.cpp.
#include "engine/run.h"

#include <chrono>
#include <cmath>
#include <optional>

#include "engine/models/cpu_gemm.h"
#include "engine/process_memory.h"
#include "engine/rng_state.h"
#include "engine/run/run_checkpoint.h"
#include "engine/run/run_failure.h"
#include "engine/train/model_registry.h"

namespace wb::engine {

using api::FailureKind;
using api::RunEvent;
using api::RunStatus;
using Clock = std::chrono::steady_clock;

class Run::Loop {
public:
    explicit Loop(Run& run)
        : m_run(run),
          m_cfg(run.m_request.config),
          m_id(run.m_request.run_id),
          m_gen(at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(m_cfg.train.seed))) {
    }

    void execute() {
        const int threads =
            m_cfg.train.threads > 0
                ? static_cast<int>(m_cfg.train.threads)
                : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        at::set_num_threads(threads);
        models::set_cpu_gemm(m_cfg.train.cpu_gemm == "blas" ? models::CpuGemm::Blas
                                                            : models::CpuGemm::OneDnn);
        {
            // Initial weights come from the global generator: seeded here, under its lock.
            std::lock_guard<std::mutex> lock(global_generator_mutex());
            torch::manual_seed(static_cast<uint64_t>(m_cfg.train.seed));
            m_trainer = make_trainer(m_cfg, m_run.m_device, m_gen);
        }
        m_trainer->set_logger([this](const std::string& level, const std::string& text) {
            log(level, text);
            flush();
        });
        const auto attribute = [this](const std::string& key, const std::string& json) {
            m_batch.push_back(RunEvent::attribute(m_id, m_step, wall(), key, json));
        };
        m_trainer->set_attribute_sink(attribute);
        log("info", m_trainer->describe());
        log("info",
            "device " + m_run.m_device.str() + ", " + std::to_string(threads) + " CPU thread(s)");
        m_host.emplace(RunHost{m_cfg, m_run.m_device, *m_trainer, m_step,
                               [this](const std::string& n, double v) { metric(n, v); },
                               [this](const std::string& l, const std::string& t) { log(l, t); },
                               attribute, [this] { return wall(); },
                               [this] {
                                   for (auto& e : m_extensions) e->on_params_changed(*m_host);
                               }});
        m_extensions = make_extensions(m_cfg);
        configure_extensions(m_extensions, *m_host);
        m_trainer->on_optimizer_events(
            [this](const OptimizerStepInfo& s) {
                for (auto& e : m_extensions) e->after_backward(*m_host, s);
            },
            [this](const OptimizerStepInfo& s) {
                for (auto& e : m_extensions) e->after_optimizer_step(*m_host, s);
            });
        const bool restored = m_run.m_request.resume && restore();
        m_t0 = Clock::now();
        status(RunStatus::Running);
        for (auto& e : m_extensions) e->on_start(*m_host, restored);
        flush();

        while (m_step < m_cfg.train.steps && !m_run.m_stop_requested) {
            wait_while_paused();
            if (m_run.m_stop_requested) break;
            train_one_step();
            flush();
        }
        const bool completed = m_step >= m_cfg.train.steps;
        for (auto& e : m_extensions) e->on_end(*m_host);
        if (completed) {
            if (m_last_eval != m_step) evaluate();
            if (m_last_sample != m_step) sample();
        }
        if (m_last_checkpoint != m_step) checkpoint();
        status(completed ? RunStatus::Completed : RunStatus::Stopped);
        flush();
    }

    void fail(FailureKind kind, const std::string& message) {
        status(RunStatus::Failed, message, kind);
        log("error", message);
        flush();
    }

    int64_t step() const { return m_step; }

private:
    double wall() const {
        return m_wall_offset + std::chrono::duration<double>(Clock::now() - m_t0).count() -
               m_paused_s;
    }

    void metric(const std::string& name, double v) {
        m_batch.push_back(RunEvent::metric(m_id, m_step, wall(), name, v));
    }
    void log(const std::string& level, const std::string& text) {
        m_batch.push_back(RunEvent::log(m_id, m_step, wall(), level, text));
    }
    void status(RunStatus s, const std::string& message = {},
                FailureKind why = FailureKind::Unset) {
        m_run.m_status = s;
        m_batch.push_back(RunEvent::status_change(m_id, m_step, wall(), s, message, why));
    }
    void flush() { m_run.m_queue.push(m_batch); }

    void wait_while_paused() {
        std::unique_lock<std::mutex> lock(m_run.m_mutex);
        if (!m_run.m_pause_requested) return;
        const auto since = Clock::now();
        status(RunStatus::Paused);
        flush();
        m_run.m_wake.wait(lock, [&] { return !m_run.m_pause_requested || m_run.m_stop_requested; });
        m_paused_s += std::chrono::duration<double>(Clock::now() - since).count();
        if (!m_run.m_stop_requested) status(RunStatus::Running);
    }

    void train_one_step() {
        const auto t = Clock::now();
        m_trainer->begin_step(m_step);
        StepOutput out = m_trainer->step();
        m_trainer->end_step(out);
        const double step_s = std::chrono::duration<double>(Clock::now() - t).count();
        ++m_step;
        m_run.m_step = m_step;
        for (auto& e : m_extensions) e->after_step(*m_host);
        for (const auto& m : out.metrics) metric(m.name, m.value);
        metric("lr", m_trainer->lr());
        metric("time/step_ms", step_s * 1e3);
        metric("throughput/samples_per_s", static_cast<double>(out.samples) / step_s);
        if (out.tokens > 0)
            metric("throughput/tokens_per_s", static_cast<double>(out.tokens) / step_s);
        const auto mem = memory_use(m_run.m_device);
        metric("memory/allocated_bytes", static_cast<double>(mem.allocated_bytes));
        metric("memory/peak_bytes", static_cast<double>(mem.peak_bytes));
        for (const auto& m : out.metrics)
            if (!std::isfinite(m.value))
                throw diverged(m.name, m.value, m_step, m_cfg.optim.lr, m_last_checkpoint);
        if (due(m_cfg.eval.every_steps)) evaluate();
        if (due(m_cfg.sample.every_steps)) sample();
        if (due(m_cfg.checkpoint.every_steps)) checkpoint();
    }

    bool due(int64_t every) const { return every > 0 && m_step % every == 0; }

    void evaluate() {
        // The same evaluation draws every time, so the curve moves only when the model does.
        auto gen = at::make_generator<at::CPUGeneratorImpl>(
            static_cast<uint64_t>(m_cfg.train.seed) ^ 0x9E3779B97F4A7C15ull);
        for (auto& e : m_extensions) e->before_inference(*m_host);
        auto metrics = m_trainer->evaluate(gen);
        for (auto& e : m_extensions) e->after_inference(*m_host);
        for (auto& e : m_extensions) e->on_eval(*m_host, &metrics);
        for (const auto& m : metrics) metric(m.name, m.value);
        m_last_eval = m_step;
    }

    void sample() {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(
            static_cast<uint64_t>(m_cfg.train.seed) * 1000003ull + static_cast<uint64_t>(m_step));
        for (auto& e : m_extensions) e->before_inference(*m_host);
        Sample s = m_trainer->sample(gen);
        for (auto& e : m_extensions) e->after_inference(*m_host);
        m_batch.push_back(RunEvent::sample(m_id, m_step, wall(), s.kind, std::move(s.bytes)));
        m_last_sample = m_step;
    }

    void checkpoint() {
        const double w = wall();
        std::string path, removed;
        try {
            path = checkpoint::write(
                m_run.m_request.checkpoint_dir, {checkpoint::kFormat, m_step, w, m_cfg.to_json()},
                m_gen, *m_trainer, m_extensions, m_last_checkpoint > 0 ? &removed : nullptr);
        } catch (const std::exception& e) {
            throw RunFailure(FailureKind::Checkpoint, e.what());
        }
        if (!removed.empty()) log("warning", removed);
        m_last_checkpoint = m_step;
        m_batch.push_back(RunEvent::checkpoint(m_id, m_step, w, path));
    }

    // True when a checkpoint was loaded; a run without any starts from step 0.
    bool restore() {
        const std::string& dir = m_run.m_request.checkpoint_dir;
        std::string used;
        std::optional<checkpoint::Meta> meta;
        try {
            meta = checkpoint::restore_newest(dir, *m_host, m_extensions, m_gen, &used);
        } catch (const checkpoint::CheckpointError& e) {
            throw RunFailure(FailureKind::Checkpoint,
                             std::string(e.what()) +
                                 "\nResume with the run's original model settings, or start a "
                                 "new run.");
        }
        if (!meta) {
            log("warning", "no checkpoint in " + dir + ": starting from step 0");
            return false;
        }
        m_run.m_step = m_step = meta->step;
        m_wall_offset = meta->wall_s;
        m_last_checkpoint = m_last_eval = m_last_sample = m_step;
        log("info", "resumed from " + used + " at step " + std::to_string(m_step));
        if (m_step >= m_cfg.train.steps)
            log("warning", "the checkpoint is already at step " + std::to_string(m_step) +
                               " of train.steps " + std::to_string(m_cfg.train.steps) +
                               ": nothing to train; raise train.steps to continue");
        return true;
    }

    Run& m_run;
    const api::RunConfig& m_cfg;
    int64_t m_id;
    at::Generator m_gen;
    std::unique_ptr<Trainer> m_trainer;
    std::vector<std::unique_ptr<RunExtension>> m_extensions;
    std::optional<RunHost> m_host;
    std::vector<RunEvent> m_batch;
    int64_t m_step = 0;
    int64_t m_last_checkpoint = -1, m_last_eval = -1, m_last_sample = -1;
    double m_wall_offset = 0, m_paused_s = 0;
    Clock::time_point m_t0 = Clock::now();
};

void Run::main() {
    Loop loop(*this);
    report_failures([&] { loop.execute(); },
                    [&](FailureKind kind, const std::string& message) { loop.fail(kind, message); },
                    m_device, [&] { return loop.step(); });
}

}  // namespace wb::engine
