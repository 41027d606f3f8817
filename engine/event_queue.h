// The mutex-guarded buffer between run threads and the consumer: producers append, the consumer
// swaps the whole buffer out at once (PlotJuggler's move-then-replot pattern).
#pragma once

#include <mutex>
#include <vector>

#include "engine/api/run_event.h"

namespace wb::engine {

class EventQueue {
public:
    void push(api::RunEvent e) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_events.push_back(std::move(e));
    }
    void push(std::vector<api::RunEvent>& batch) {
        std::lock_guard<std::mutex> lock(m_mutex);
        for (auto& e : batch) m_events.push_back(std::move(e));
        batch.clear();
    }
    std::vector<api::RunEvent> drain() {
        std::vector<api::RunEvent> out;
        std::lock_guard<std::mutex> lock(m_mutex);
        out.swap(m_events);
        return out;
    }

private:
    std::mutex m_mutex;
    std::vector<api::RunEvent> m_events;
};

}  // namespace wb::engine
