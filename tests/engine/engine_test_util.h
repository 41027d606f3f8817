// Helpers for engine tests: run a config to the end on a real TorchEngine and collect events.
// Header-only so each test executable stays a single file plus this.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/api/engine.h"
#include "engine/api/presets.h"
#include "engine/torch_engine.h"

namespace wb::test {

struct Collected {
    std::vector<api::RunEvent> events;
    api::RunStatus final_status = api::RunStatus::Unset;
    std::string failure;  ///< FailureKind name of a Failed status
    std::string message;

    /// Values of one metric in step order.
    std::vector<double> series(const std::string& name) const {
        std::vector<double> v;
        for (const auto& e : events)
            if (e.kind == api::EventKind::Metric && e.name == name) v.push_back(e.value);
        return v;
    }
    std::map<int64_t, double> by_step(const std::string& name) const {
        std::map<int64_t, double> m;
        for (const auto& e : events)
            if (e.kind == api::EventKind::Metric && e.name == name) m[e.step] = e.value;
        return m;
    }
    int count(api::EventKind kind, const std::string& name = {}) const {
        int n = 0;
        for (const auto& e : events) n += e.kind == kind && (name.empty() || e.name == name);
        return n;
    }
    bool has_status(api::RunStatus s) const {
        for (const auto& e : events)
            if (e.kind == api::EventKind::Status && e.status == s) return true;
        return false;
    }
};

inline void absorb(Collected* c, std::vector<api::RunEvent> batch) {
    for (auto& e : batch) {
        if (e.kind == api::EventKind::Status && api::is_final(e.status)) {
            c->final_status = e.status;
            c->failure = api::to_string(e.failure);
            c->message = e.payload;
        }
        c->events.push_back(std::move(e));
    }
}

/// A few steps of a built-in preset, small and single-threaded: no samples, no checkpoints, no
/// FID (it needs the trained extractor), evaluation every `eval_every` steps (0: at the end).
inline api::RunConfig tiny_preset(const char* preset, int64_t steps, int64_t eval_every) {
    api::RunConfig c = api::find_preset(preset)->config;
    c.train.steps = steps;
    c.train.batch_size = 8;
    c.train.threads = 1;
    c.eval.every_steps = eval_every;
    c.eval.samples = 128;
    c.eval.fid = false;
    c.sample.every_steps = 0;
    c.checkpoint.every_steps = 0;
    return c;
}

/// Trains to the end on a fresh engine (blocking) and returns everything it reported.
inline Collected run_to_end(const api::RunConfig& config, const std::string& checkpoint_dir,
                            bool resume = false, int64_t run_id = 1) {
    auto engine = engine::make_torch_engine();
    Collected c;
    auto errors = engine->start({run_id, config, checkpoint_dir, resume});
    if (!errors.empty()) {
        c.message = api::format_errors(errors);
        return c;
    }
    engine->wait(run_id);
    absorb(&c, engine->drain());
    return c;
}

}  // namespace wb::test
