// The training loop of one run: set-up, resume, steps, pause/stop, timing and events. Features take
// part as run extensions (run/extension.h); failures become statuses in run/run_failure.cpp.
#include "engine/run.h"

#include <chrono>
#include <cmath>
#include <optional>

#include "engine/export/deployed_model.h"
#include "engine/rng_state.h"
#include "engine/run/run_checkpoint.h"
#include "engine/run/run_failure.h"
#include "engine/run/run_setup.h"
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
        const int threads = set_up_threads(m_cfg, m_run.m_request.dist);
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
        if (m_run.m_request.teacher.run_id > 0) {
            try {
                m_trainer->set_teacher(load_teacher());
            } catch (const std::invalid_argument& e) {
                throw RunFailure(api::FailureKind::Config, e.what());
            }
        }
        m_host.emplace(RunHost{m_cfg, m_run.m_device, *m_trainer, m_step,
                               [this](const std::string& n, double v) { metric(n, v); },
                               [this](const std::string& l, const std::string& t) { log(l, t); },
                               attribute, [this] { return wall(); },
                               [this] {
                                   for (auto& e : m_extensions) e->on_params_changed(*m_host);
                               },
                               m_run.m_request, [this] { return requested(); }});
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

        while (m_step < m_cfg.train.steps && proceed()) {
            train_one_step();
            flush();
        }
        const bool completed = m_step >= m_cfg.train.steps;
        for (auto& e : m_extensions) e->on_end(*m_host);
        rank0_work(completed && m_last_eval != m_step, completed && m_last_sample != m_step,
                   m_last_checkpoint != m_step);
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
    double wall() const { return m_wall_offset + seconds_since(m_t0) - m_paused_s; }

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

    RunControl requested() const {
        std::lock_guard<std::mutex> lock(m_run.m_mutex);
        return {m_run.m_stop_requested, m_run.m_pause_requested};
    }

    // Whether to train another step, as every rank agrees (run/extension.h: agree); waits out a
    // pause, asking again every 200 ms so that all ranks stay in step while one is paused.
    bool proceed() {
        std::optional<Clock::time_point> since;
        for (;;) {
            RunControl c = requested();
            for (auto& e : m_extensions) e->agree(*m_host, c);
            if (!c.pause || c.stop) {
                if (since) m_paused_s += seconds_since(*since);
                if (since && !c.stop) status(RunStatus::Running);
                return !c.stop;
            }
            if (!since) {
                since = Clock::now();
                status(RunStatus::Paused);
                flush();
            }
            std::unique_lock<std::mutex> lock(m_run.m_mutex);
            m_run.m_wake.wait_for(lock, std::chrono::milliseconds(200), [&] {
                return !m_run.m_pause_requested || m_run.m_stop_requested;
            });
        }
    }

    void train_one_step() {
        const auto t = Clock::now();
        m_trainer->begin_step(m_step);
        StepOutput out = m_trainer->step();
        m_trainer->end_step(out);
        const double step_s = seconds_since(t);
        ++m_step;
        m_run.m_step = m_step;
        for (auto& e : m_extensions) e->after_step(*m_host);
        for (auto& e : m_extensions) e->reduce_step(*m_host, out, step_s);
        for (const auto& m : out.metrics) metric(m.name, m.value);
        for (const auto& m : step_metrics(out, m_trainer->lr(), step_s, m_run.m_device))
            metric(m.name, m.value);
        for (const auto& m : out.metrics)
            if (!std::isfinite(m.value))
                throw diverged(m.name, m.value, m_step, m_cfg.optim.lr, m_last_checkpoint);
        rank0_work(due(m_cfg.eval.every_steps), due(m_cfg.sample.every_steps),
                   due(m_cfg.checkpoint.every_steps));
    }

    bool due(int64_t every) const { return every > 0 && m_step % every == 0; }

    // distill.teacher's newest readable checkpoint, built by the model registry (no trainer, no
    // data). A teacher that cannot be read, or cannot teach this model, is a config failure.
    TeacherModel load_teacher() {
        const auto& t = m_run.m_request.teacher;
        TeacherModel out;
        out.label = "run " + std::to_string(t.run_id) + " (" + t.name + ")";
        try {
            auto loaded = load_deployed(t.config, t.checkpoint_dir,
                                        [&](torch::serialize::InputArchive& state) {
                                            c10::IValue v;
                                            if (state.try_read("vocab", v))
                                                out.vocab = v.toStringRef();
                                        });
            for (const auto& s : loaded.skipped)
                log("warning", "distill.teacher: cannot read " + s + "; used an older checkpoint");
            out.network = loaded.network();
            out.step = loaded.step;
        } catch (const std::exception& e) {
            throw RunFailure(api::FailureKind::Config,
                             "distill.teacher: " + out.label + " cannot teach: " + e.what());
        }
        return out;
    }

    // Only rank 0 of a distributed run evaluates, samples and checkpoints (it owns the run);
    // every rank decides alike when, and first brings a model split over the ranks together.
    void rank0_work(bool eval, bool sample_now, bool save) {
        if (!eval && !sample_now && !save) return;
        m_trainer->assemble_model(save);
        if (eval && m_primary) evaluate();
        if (sample_now && m_primary) sample();
        if (save && m_primary) checkpoint();
        if (eval) m_last_eval = m_step;
        if (sample_now) m_last_sample = m_step;
        if (save) m_last_checkpoint = m_step, m_trainer->release_assembled();
    }

    void evaluate() {
        // The same evaluation draws every time, so the curve moves only when the model does.
        auto gen = at::make_generator<at::CPUGeneratorImpl>(
            static_cast<uint64_t>(m_cfg.train.seed) ^ 0x9E3779B97F4A7C15ull);
        for (auto& e : m_extensions) e->before_inference(*m_host);
        auto metrics = m_trainer->evaluate(gen);
        for (auto& e : m_extensions) e->after_inference(*m_host);
        for (auto& e : m_extensions) e->on_eval(*m_host, &metrics);
        for (const auto& m : metrics) metric(m.name, m.value);
    }

    void sample() {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(
            static_cast<uint64_t>(m_cfg.train.seed) * 1000003ull + static_cast<uint64_t>(m_step));
        for (auto& e : m_extensions) e->before_inference(*m_host);
        Sample s = m_trainer->sample(gen);
        for (auto& e : m_extensions) e->after_inference(*m_host);
        m_batch.push_back(RunEvent::sample(m_id, m_step, wall(), s.kind, std::move(s.bytes)));
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
    const bool m_primary = m_run.m_request.dist.rank == 0;
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
