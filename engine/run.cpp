// The training loop of one run: set-up, resume, steps, periodic evaluation, samples and
// checkpoints, and the translation of every failure into a status the user can act on.
#include "engine/run.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "engine/checkpoint.h"
#include "engine/data/data_error.h"
#include "engine/models/cpu_gemm.h"
#include "engine/process_memory.h"
#include "engine/prune/measure.h"
#include "engine/prune/pruner.h"
#include "engine/rng_state.h"
#include "engine/train/trainer.h"

namespace wb::engine {

using api::FailureKind;
using api::RunEvent;
using api::RunStatus;
using Clock = std::chrono::steady_clock;

namespace {

// torch::manual_seed and weight initialisation use LibTorch's global generator.
std::mutex g_init_mutex;

struct RunFailure : std::runtime_error {
    RunFailure(FailureKind k, const std::string& m) : std::runtime_error(m), kind(k) {}
    FailureKind kind;
};

constexpr int kCheckpointFormat = 1;

bool is_oom(const std::string& what) {
    return what.find("out of memory") != std::string::npos ||
           what.find("Out of memory") != std::string::npos ||
           what.find("DefaultCPUAllocator: can't allocate") != std::string::npos;
}

}  // namespace

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
            std::lock_guard<std::mutex> lock(g_init_mutex);
            torch::manual_seed(static_cast<uint64_t>(m_cfg.train.seed));
            m_trainer = make_trainer(m_cfg, m_run.m_device, m_gen);
        }
        m_trainer->set_logger([this](const std::string& level, const std::string& text) {
            log(level, text);
            flush();
        });
        m_trainer->set_attribute_sink([this](const std::string& key, const std::string& json) {
            m_batch.push_back(RunEvent::attribute(m_id, m_step, wall(), key, json));
        });
        log("info", m_trainer->describe());
        log("info",
            "device " + m_run.m_device.str() + ", " + std::to_string(threads) + " CPU thread(s)");
        if (m_cfg.prune.method != "none") {
            try {
                m_pruner = std::make_unique<prune::Pruner>(m_cfg.prune, m_trainer->prune_layout());
            } catch (const std::invalid_argument& e) {
                throw RunFailure(FailureKind::Config, e.what());
            }
            m_trainer->after_optimizer_step(
                [this](const std::vector<torch::Tensor>& params) { m_pruner->enforce(params); });
            log("info", m_pruner->describe());
        }
        if (m_run.m_request.resume) restore();
        m_t0 = Clock::now();
        status(RunStatus::Running);
        if (m_pruner && m_last_checkpoint < 0) {
            prune_report();  // the dense model, before any pruning: the baseline
            prune_tick();
        }
        flush();

        while (m_step < m_cfg.train.steps && !m_run.m_stop_requested) {
            wait_while_paused();
            if (m_run.m_stop_requested) break;
            train_one_step();
            flush();
        }
        const bool completed = m_step >= m_cfg.train.steps;
        if (m_pruner && m_last_prune_report != m_step) prune_report();
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
        prune_tick();
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
                throw RunFailure(FailureKind::NonFinite,
                                 m.name + " became " + std::to_string(m.value) + " at step " +
                                     std::to_string(m_step) +
                                     ": training diverged. Lower optim.lr (now " +
                                     std::to_string(m_cfg.optim.lr) +
                                     ") or the batch size, then resume from the last good "
                                     "checkpoint (step " +
                                     std::to_string(std::max<int64_t>(m_last_checkpoint, 0)) +
                                     ") or start a new run.");
        if (due(m_cfg.eval.every_steps)) evaluate();
        if (due(m_cfg.sample.every_steps)) sample();
        if (due(m_cfg.checkpoint.every_steps)) checkpoint();
    }

    bool due(int64_t every) const { return every > 0 && m_step % every == 0; }

    void evaluate() {
        // The same evaluation draws every time, so the curve moves only when the model does.
        auto gen = at::make_generator<at::CPUGeneratorImpl>(
            static_cast<uint64_t>(m_cfg.train.seed) ^ 0x9E3779B97F4A7C15ull);
        for (const auto& m : m_trainer->evaluate(gen)) metric(m.name, m.value);
        if (m_pruner) metric("prune/sparsity", m_pruner->sparsity());
        m_last_eval = m_step;
    }

    void sample() {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(
            static_cast<uint64_t>(m_cfg.train.seed) * 1000003ull + static_cast<uint64_t>(m_step));
        Sample s = m_trainer->sample(gen);
        m_batch.push_back(RunEvent::sample(m_id, m_step, wall(), s.kind, std::move(s.bytes)));
        m_last_sample = m_step;
    }

    // Each optimizer step re-applies the masks of its own parameters (a GAN's generator step
    // then sees the discriminator's pruned weights as zero; re-masking all networks there would
    // modify the generator's weights in place while its step's graph still needs them). After
    // the trainer's step every mask is enforced once more, covering tensors no optimizer owns,
    // so every evaluation, sample and checkpoint sees them.
    void prune_tick() {
        if (!m_pruner) return;
        m_pruner->enforce();
        if (m_pruner->update(m_step)) prune_report();
    }

    // A run trained without pruning and resumed with it: apply what the schedule would have
    // reached by now, so a pruning step in the past is not silently skipped.
    void catch_up_pruning(int64_t step) {
        const double s = m_pruner->scheduled(step);
        log("warning", "the checkpoint has no pruning masks (it was trained without pruning)" +
                           std::string(s > 0 ? ": pruning to the scheduled sparsity now"
                                             : ": the schedule starts from the dense model"));
        if (s > 0) m_pruner->prune_to(s);
    }

    void prune_report() {
        prune::Measurement m;
        {
            // The copies' initialisation draws from LibTorch's global generator, which also
            // drives dropout: put its state back so measuring does not change the training.
            std::lock_guard<std::mutex> lock(g_init_mutex);
            auto global = at::detail::getDefaultCPUGenerator();
            const auto state = global.get_state();
            m = prune::measure([this] { return m_trainer->deployable(); }, m_pruner.get());
            global.set_state(state);
        }
        const double sparsity = m_pruner->sparsity();
        metric("prune/sparsity", sparsity);
        metric("prune/target", m_pruner->current_target());
        metric("prune/params", static_cast<double>(m.params));
        metric("prune/infer_ms", m.infer_ms);
        metric("prune/infer_ms_dense", m.infer_ms_dense);
        metric("prune/size_dense_bytes", static_cast<double>(m.size_dense_bytes));
        metric("prune/size_compact_bytes", static_cast<double>(m.size_compact_bytes));
        metric("prune/size_sparse_bytes", static_cast<double>(m.size_sparse_bytes));
        char line[256];
        std::snprintf(line, sizeof line,
                      "prune measurement at step %lld: sparsity %.1f%%, %lld non-zero parameters, "
                      "inference %.3f ms (unpruned shape %.3f ms), size %lld bytes dense, "
                      "%lld compacted, %lld sparse",
                      static_cast<long long>(m_step), sparsity * 100,
                      static_cast<long long>(m.params), m.infer_ms, m.infer_ms_dense,
                      static_cast<long long>(m.size_dense_bytes),
                      static_cast<long long>(m.size_compact_bytes),
                      static_cast<long long>(m.size_sparse_bytes));
        log("info", line);
        m_last_prune_report = m_step;
    }

    void checkpoint() {
        const double w = wall();
        std::string path;
        try {
            path = write_checkpoint(
                m_run.m_request.checkpoint_dir, m_step, [&](torch::serialize::OutputArchive& ar) {
                    nlohmann::json meta = {{"format", kCheckpointFormat},
                                           {"step", m_step},
                                           {"wall_s", w},
                                           {"config", m_cfg.to_json()}};
                    ar.write("meta", c10::IValue(meta.dump()));
                    ar.write("rng", c10::IValue(generator_state_hex(m_gen)));
                    ar.write(
                        "torch_rng",
                        c10::IValue(generator_state_hex(at::detail::getDefaultCPUGenerator())));
                    torch::serialize::OutputArchive part;
                    m_trainer->save(part);
                    ar.write("trainer", part);
                    torch::serialize::OutputArchive shared;
                    m_trainer->save_shared(shared);
                    ar.write("shared", shared);
                    if (m_pruner) {
                        torch::serialize::OutputArchive masks;
                        m_pruner->save(masks);
                        ar.write("prune", masks);
                    }
                });
        } catch (const std::exception& e) {
            throw RunFailure(FailureKind::Checkpoint, e.what());
        }
        m_last_checkpoint = m_step;
        m_batch.push_back(RunEvent::checkpoint(m_id, m_step, w, path));
    }

    void restore() {
        const auto files = list_checkpoints(m_run.m_request.checkpoint_dir);
        if (files.empty()) {
            log("warning",
                "no checkpoint in " + m_run.m_request.checkpoint_dir + ": starting from step 0");
            return;
        }
        std::string problems;
        for (const auto& path : files) {
            try {
                torch::serialize::InputArchive ar;
                ar.load_from(path, m_run.m_device);
                c10::IValue meta_v, rng, torch_rng;
                ar.read("meta", meta_v);
                const auto meta = nlohmann::json::parse(meta_v.toStringRef());
                if (meta.at("format").get<int>() != kCheckpointFormat)
                    throw std::runtime_error("unknown checkpoint format");
                torch::serialize::InputArchive part;
                ar.read("trainer", part);
                m_trainer->load(part);
                torch::serialize::InputArchive shared;
                if (ar.try_read("shared", shared)) m_trainer->load_shared(shared);
                if (m_pruner) {
                    torch::serialize::InputArchive masks;
                    if (ar.try_read("prune", masks))
                        m_pruner->load(masks);
                    else
                        catch_up_pruning(meta.at("step").get<int64_t>());
                }
                ar.read("rng", rng);
                ar.read("torch_rng", torch_rng);
                set_generator_state_hex(m_gen, rng.toStringRef());
                auto global = at::detail::getDefaultCPUGenerator();
                set_generator_state_hex(global, torch_rng.toStringRef());
                m_step = meta.at("step").get<int64_t>();
                m_wall_offset = meta.at("wall_s").get<double>();
                m_run.m_step = m_step;
                m_last_checkpoint = m_last_eval = m_last_sample = m_step;
                log("info", "resumed from " + path + " at step " + std::to_string(m_step));
                if (m_step >= m_cfg.train.steps)
                    log("warning", "the checkpoint is already at step " + std::to_string(m_step) +
                                       " of train.steps " + std::to_string(m_cfg.train.steps) +
                                       ": nothing to train; raise train.steps to continue");
                return;
            } catch (const std::exception& e) {
                const std::string what = e.what();
                problems += "\n  " + path + ": " + what.substr(0, what.find('\n'));
                log("warning", "cannot read checkpoint " + path + ": " +
                                   what.substr(0, what.find('\n')) + "; trying an older one");
            }
        }
        throw RunFailure(
            FailureKind::Checkpoint,
            "no usable checkpoint to resume from (corrupt, or saved with a different "
            "model.* or data.* setting):" +
                problems + "\nResume with the run's original model settings, or start a new run.");
    }

    Run& m_run;
    const api::RunConfig& m_cfg;
    int64_t m_id;
    at::Generator m_gen;
    std::unique_ptr<Trainer> m_trainer;
    std::unique_ptr<prune::Pruner> m_pruner;
    int64_t m_last_prune_report = -1;
    std::vector<RunEvent> m_batch;
    int64_t m_step = 0;
    int64_t m_last_checkpoint = -1, m_last_eval = -1, m_last_sample = -1;
    double m_wall_offset = 0, m_paused_s = 0;
    Clock::time_point m_t0 = Clock::now();
};

Run::Run(api::StartRequest request, torch::Device device, EventQueue& queue)
    : m_request(std::move(request)), m_device(device), m_queue(queue) {}

Run::~Run() {
    stop();
    join();
}

void Run::start() {
    m_thread = std::thread([this] { main(); });
}

void Run::pause() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_pause_requested = true;
}

void Run::resume() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_pause_requested = false;
    }
    m_wake.notify_all();
}

void Run::stop() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop_requested = true;
    }
    m_wake.notify_all();
}

void Run::join() {
    if (m_thread.joinable()) m_thread.join();
}

api::RunInfo Run::info() const {
    return {m_request.run_id, m_status.load(), m_step.load(), m_request.config.train.steps};
}

void Run::main() {
    Loop loop(*this);
    try {
        loop.execute();
    } catch (const data::DataError& e) {
        loop.fail(FailureKind::Data, e.what());
    } catch (const RunFailure& e) {
        loop.fail(e.kind, e.what());
    } catch (const std::bad_alloc&) {
        loop.fail(FailureKind::OutOfMemory,
                  "out of memory on " + m_device.str() + " at step " + std::to_string(loop.step()) +
                      ": lower train.batch_size or model.width, or close other runs");
    } catch (const std::exception& e) {
        const std::string what = e.what();
        const std::string first = what.substr(0, what.find('\n'));
        if (is_oom(what))
            loop.fail(
                FailureKind::OutOfMemory,
                "out of memory on " + m_device.str() + " at step " + std::to_string(loop.step()) +
                    ": lower train.batch_size or model.width, or close other runs (" + first + ")");
        else
            loop.fail(FailureKind::Other,
                      "training failed at step " + std::to_string(loop.step()) + ": " + first);
    }
}

}  // namespace wb::engine
