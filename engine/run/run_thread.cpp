// Run's thread and its control: start, pause, resume and stop are flags the loop reads between
// steps (engine/run.cpp), so the caller never waits on a step.
#include "engine/run.h"

namespace wb::engine {

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

}  // namespace wb::engine
