// Run: one training run on a thread of its own. Control (pause, resume, stop) is a flag read
// between steps; everything the run has to say goes into the shared EventQueue.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "engine/api/engine.h"
#include "engine/event_queue.h"

namespace wb::engine {

class Run {
public:
    Run(api::StartRequest request, torch::Device device, EventQueue& queue);
    ~Run();
    Run(const Run&) = delete;
    Run& operator=(const Run&) = delete;

    void start();
    void pause();
    void resume();
    void stop();
    void join();
    api::RunInfo info() const;

private:
    class Loop;
    void main();

    api::StartRequest m_request;
    torch::Device m_device;
    EventQueue& m_queue;
    std::thread m_thread;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_pause_requested = false;
    std::atomic<bool> m_stop_requested{false};
    std::atomic<int64_t> m_step{0};
    std::atomic<api::RunStatus> m_status{api::RunStatus::Queued};

    friend class Loop;
};

}  // namespace wb::engine
