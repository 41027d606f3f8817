// Recorder: the queue between training threads and the BatchWriter, and the writer thread.
#include "storage/recorder.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

#include "storage/batch_writer.h"
#include "storage/owner.h"

namespace wb::storage {

Recorder::Recorder(const std::string& db_path, RecorderOptions options)
    : m_options(options), m_writer(std::make_unique<BatchWriter>(db_path)) {
    if (m_options.commit_interval_ms < 0) m_options.commit_interval_ms = 0;
    if (m_options.max_batch_rows == 0) m_options.max_batch_rows = 1;
    m_thread = std::thread(&Recorder::run_loop, this);
}

Recorder::~Recorder() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_one();
    m_thread.join();
}

void Recorder::record(std::vector<api::RunEvent> events) {
    if (events.empty()) return;
    const std::size_t n = events.size();
    EventChunk chunk{now_unix_s(), std::move(events)};
    bool wake = false;
    {
        std::lock_guard lock(m_mutex);
        wake = m_pending.empty() || m_pending_rows + n >= m_options.max_batch_rows;
        m_pending.push_back(std::move(chunk));
        m_pending_rows += n;
        m_recorded += n;
    }
    if (wake) m_wake.notify_one();
}

void Recorder::flush() {
    std::unique_lock lock(m_mutex);
    const uint64_t target = m_recorded;
    if (m_processed >= target) return;
    m_flush_target = std::max(m_flush_target, target);
    m_wake.notify_one();
    m_done.wait(lock, [&] { return m_processed >= target; });
}

RecorderStats Recorder::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

std::string Recorder::last_error() const {
    std::lock_guard lock(m_mutex);
    return m_last_error;
}

void Recorder::run_loop() {
    using Clock = std::chrono::steady_clock;
    const auto interval = std::chrono::milliseconds(m_options.commit_interval_ms);
    // In the past at first, so the first events after a quiet spell are written at once.
    Clock::time_point last_commit = Clock::now() - interval;
    std::unique_lock lock(m_mutex);
    while (true) {
        m_wake.wait(lock, [&] { return m_stop || !m_pending.empty(); });
        if (m_pending.empty()) break;  // stopping, and everything is written
        m_wake.wait_until(lock, last_commit + interval, [&] {
            return m_stop || m_flush_target > m_processed ||
                   m_pending_rows >= m_options.max_batch_rows;
        });
        std::vector<EventChunk> batch;
        std::size_t rows = 0;
        // Whole chunks up to max_batch_rows, and at least one however large it is.
        while (!m_pending.empty() && (batch.empty() || rows + m_pending.front().events.size() <=
                                                           m_options.max_batch_rows)) {
            rows += m_pending.front().events.size();
            batch.push_back(std::move(m_pending.front()));
            m_pending.pop_front();
        }
        m_pending_rows -= rows;
        lock.unlock();

        last_commit = Clock::now();
        std::string error;
        try {
            m_writer->write(batch);
        } catch (const std::exception& e) {
            error = e.what();
        }
        batch = {};  // free the payloads before taking the lock again

        lock.lock();
        m_processed += rows;
        if (error.empty()) {
            m_stats.events += rows;
            ++m_stats.commits;
        } else {
            m_stats.dropped += rows;
            m_last_error = std::move(error);
        }
        m_done.notify_all();
    }
}

}  // namespace wb::storage
