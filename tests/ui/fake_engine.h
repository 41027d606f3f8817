// FakeEngine: an api::Engine for the UI tests without LibTorch. It records start requests and
// controls, and emits events on demand or from a producer thread through one mutex-guarded buffer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/api/engine.h"

namespace wb::test {

class FakeEngine final : public api::Engine {
public:
    ~FakeEngine() override { stopStreaming(); }

    std::vector<api::ConfigError> start(const api::StartRequest& request) override {
        std::lock_guard lock(m_mutex);
        m_requests.push_back(request);
        if (!m_crash.empty()) throw std::runtime_error(m_crash);
        if (!m_refusal.empty()) return m_refusal;
        if (!m_set_up_failure.empty()) {
            // As a run whose set-up (data, checkpoint) fails: Failed before it ever ran.
            m_runs[request.run_id] = {request.run_id, api::RunStatus::Failed, 0,
                                      request.config.train.steps};
            m_buffer.push_back(api::RunEvent::log(request.run_id, 0, 0, "error", m_set_up_failure));
            m_buffer.push_back(
                api::RunEvent::status_change(request.run_id, 0, 0, api::RunStatus::Failed,
                                             m_set_up_failure, api::FailureKind::Checkpoint));
            return {};
        }
        m_runs[request.run_id] = {request.run_id, api::RunStatus::Running, 0,
                                  request.config.train.steps};
        m_buffer.push_back(
            api::RunEvent::status_change(request.run_id, 0, 0, api::RunStatus::Running));
        return {};
    }
    void pause(int64_t id) override { control(id, api::RunStatus::Paused); }
    void resume(int64_t id) override { control(id, api::RunStatus::Running); }
    void stop(int64_t id) override { control(id, api::RunStatus::Stopped); }
    std::vector<api::RunInfo> runs() const override {
        std::lock_guard lock(m_mutex);
        std::vector<api::RunInfo> out;
        for (const auto& [id, info] : m_runs) out.push_back(info);
        return out;
    }
    std::vector<api::RunEvent> drain() override {
        std::vector<api::RunEvent> out;
        std::lock_guard lock(m_mutex);
        out.swap(m_buffer);
        return out;
    }
    void wait(int64_t) override { stopStreaming(); }
    std::string environment_json() const override { return R"({"device":"fake"})"; }

    // --- test controls ---

    /// The next starts fail with these problems (empty: they succeed).
    void refuseStarts(std::vector<api::ConfigError> problems) {
        std::lock_guard lock(m_mutex);
        m_refusal = std::move(problems);
    }
    /// The next starts throw std::runtime_error(what), as a broken engine would.
    void throwOnStart(std::string what) {
        std::lock_guard lock(m_mutex);
        m_crash = std::move(what);
    }
    /// The next starts are accepted, then fail before their first step with this checkpoint
    /// error (empty: they run).
    void failSetUp(std::string why) {
        std::lock_guard lock(m_mutex);
        m_set_up_failure = std::move(why);
    }
    std::vector<api::StartRequest> requests() const {
        std::lock_guard lock(m_mutex);
        return m_requests;
    }
    /// Control calls as "pause:3", "stop:3", in order.
    std::vector<std::string> controls() const {
        std::lock_guard lock(m_mutex);
        return m_controls;
    }
    void push(api::RunEvent event) {
        std::lock_guard lock(m_mutex);
        m_buffer.push_back(std::move(event));
    }
    /// One point per name for each step in [first, first + count).
    void pushMetrics(int64_t run, int64_t first, int64_t count,
                     const std::vector<std::string>& names) {
        std::lock_guard lock(m_mutex);
        for (int64_t s = first; s < first + count; ++s)
            for (std::size_t i = 0; i < names.size(); ++i)
                m_buffer.push_back(api::RunEvent::metric(run, s, s * 0.01, names[i],
                                                         1.0 / (1.0 + s * 0.01) + 0.1 * i));
    }

    /// A producer thread emitting `names` for run `run` at `steps_per_s` until stopStreaming().
    void startStreaming(int64_t run, std::vector<std::string> names, double steps_per_s) {
        stopStreaming();
        m_streaming = true;
        m_streamed_steps = 0;
        m_producer = std::thread([this, run, names = std::move(names), steps_per_s] {
            const auto t0 = std::chrono::steady_clock::now();
            int64_t step = 0;
            while (m_streaming) {
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
                const double elapsed_s =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                const auto due = static_cast<int64_t>(elapsed_s * steps_per_s);
                if (due > step) {
                    pushMetrics(run, step + 1, due - step, names);
                    step = due;
                    m_streamed_steps = step;
                }
            }
        });
    }
    void stopStreaming() {
        m_streaming = false;
        if (m_producer.joinable()) m_producer.join();
    }
    int64_t streamedSteps() const { return m_streamed_steps; }

private:
    void control(int64_t id, api::RunStatus status) {
        std::lock_guard lock(m_mutex);
        const char* verb = status == api::RunStatus::Paused    ? "pause"
                           : status == api::RunStatus::Running ? "resume"
                                                               : "stop";
        m_controls.push_back(std::string(verb) + ":" + std::to_string(id));
        auto it = m_runs.find(id);
        if (it == m_runs.end()) return;
        it->second.status = status;
        m_buffer.push_back(api::RunEvent::status_change(id, it->second.step, 0, status));
    }

    mutable std::mutex m_mutex;
    std::vector<api::RunEvent> m_buffer;
    std::vector<api::StartRequest> m_requests;
    std::vector<std::string> m_controls;
    std::vector<api::ConfigError> m_refusal;
    std::string m_crash;
    std::string m_set_up_failure;
    std::map<int64_t, api::RunInfo> m_runs;
    std::thread m_producer;
    std::atomic<bool> m_streaming{false};
    std::atomic<int64_t> m_streamed_steps{0};
};

}  // namespace wb::test
