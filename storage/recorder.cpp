// Recorder: the queue between training threads and the BatchWriter, and the writer thread.
#include "storage/recorder.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

#include <sqlite3.h>

#include "storage/batch_writer.h"
#include "storage/owner.h"
#include "storage/storage_error.h"

namespace wb::storage {

Recorder::Recorder(const std::string& db_path, RecorderOptions options)
    : m_options(options), m_writer(std::make_unique<BatchWriter>(db_path)) {
    if (m_options.commit_interval_ms < 0) m_options.commit_interval_ms = 0;
    if (m_options.max_batch_rows == 0) m_options.max_batch_rows = 1;
    if (m_options.retry_for_ms < 0) m_options.retry_for_ms = 0;
    if (m_options.retry_pause_ms < 0) m_options.retry_pause_ms = 0;
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

bool Recorder::flush_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(m_mutex);
    const uint64_t target = m_recorded;
    if (m_processed >= target) return true;
    m_flush_target = std::max(m_flush_target, target);
    m_wake.notify_one();
    return m_done.wait_for(lock, timeout, [&] { return m_processed >= target; });
}

RecorderStats Recorder::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

std::string Recorder::last_error() const {
    std::lock_guard lock(m_mutex);
    return m_last_error;
}

std::string Recorder::retry_error() const {
    std::lock_guard lock(m_mutex);
    return m_retry_error;
}

bool Recorder::held_for_lock() const {
    std::lock_guard lock(m_mutex);
    const int code = m_retry_code & 0xff;
    return m_failing && (code == SQLITE_BUSY || code == SQLITE_LOCKED);
}

void Recorder::abandon() {
    {
        std::lock_guard lock(m_mutex);
        m_abandon = true;
    }
    m_wake.notify_one();
    flush();
}

void Recorder::drop_pending() {
    for (const auto& chunk : m_pending) m_stats.dropped += chunk.events.size();
    m_processed += m_pending_rows;
    m_pending.clear();
    m_pending_rows = 0;
    m_stats.held = 0;
    if (!m_retry_error.empty()) m_last_error = m_retry_error;
    m_done.notify_all();
}

void Recorder::run_loop() {
    using Clock = std::chrono::steady_clock;
    const auto interval = std::chrono::milliseconds(m_options.commit_interval_ms);
    const auto pause = std::chrono::milliseconds(m_options.retry_pause_ms);
    // In the past at first, so the first events after a quiet spell are written at once.
    Clock::time_point last_commit = Clock::now() - interval;
    Clock::time_point retry_at = last_commit;
    std::unique_lock lock(m_mutex);
    while (true) {
        m_wake.wait(lock, [&] { return m_stop || !m_pending.empty(); });
        if (m_pending.empty()) break;  // stopping, and everything is written
        if (m_failing) {
            // Neither new events, flush() nor stopping cut the pause short: only time helps.
            m_wake.wait_until(lock, retry_at,
                              [&] { return m_abandon || Clock::now() >= retry_at; });
        } else {
            m_wake.wait_until(lock, last_commit + interval, [&] {
                return m_stop || m_flush_target > m_processed ||
                       m_pending_rows >= m_options.max_batch_rows;
            });
        }
        if (m_abandon) {  // one-shot: events recorded later are tried again as usual
            drop_pending();
            m_abandon = m_failing = false;
            continue;
        }
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
        bool may_pass = false;
        int code = 0;
        try {
            m_writer->write(batch);
        } catch (const StorageError& e) {
            error = e.what();
            may_pass = e.may_pass();
            code = e.sqlite_code();
        } catch (const std::exception& e) {
            error = e.what();
        }

        if (error.empty()) batch = {};  // free the payloads before taking the lock again

        lock.lock();
        if (error.empty()) {
            m_processed += rows;
            m_stats.events += rows;
            ++m_stats.commits;
            m_failing = false;
            m_retry_error.clear();
            m_stats.held = 0;
        } else {
            m_retry_code = code;
            hold_or_drop(batch, rows, error, may_pass);
            retry_at = Clock::now() + pause;
        }
        m_done.notify_all();
    }
}

void Recorder::hold_or_drop(std::vector<EventChunk>& batch, std::size_t rows,
                            const std::string& error, bool may_pass) {
    const auto now = std::chrono::steady_clock::now();
    if (!m_failing) m_failing_since = now;
    m_failing = true;
    m_retry_error = error;
    const auto failing_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - m_failing_since).count();
    if (may_pass && failing_ms < m_options.retry_for_ms) {
        // Back at the head, in order: a later batch may replace the same steps or end the run.
        for (auto it = batch.rbegin(); it != batch.rend(); ++it)
            m_pending.push_front(std::move(*it));
        m_pending_rows += rows;
        ++m_stats.retries;
        trim_held();
    } else {
        m_processed += rows;
        m_stats.dropped += rows;
        m_last_error = error;
    }
    m_stats.held = m_pending_rows;
}

void Recorder::trim_held() {
    std::size_t dropped = 0;
    for (auto chunk = m_pending.begin();
         chunk != m_pending.end() && m_pending_rows > m_options.max_held_rows; ++chunk) {
        auto& events = chunk->events;
        const std::size_t before = events.size();
        std::size_t excess = m_pending_rows - m_options.max_held_rows;
        events.erase(std::remove_if(events.begin(), events.end(),
                                    [&excess](const api::RunEvent& e) {
                                        const bool point = e.kind == api::EventKind::Metric ||
                                                           e.kind == api::EventKind::Sample;
                                        if (!point || excess == 0) return false;
                                        --excess;
                                        return true;
                                    }),
                     events.end());
        const std::size_t removed = before - events.size();
        m_pending_rows -= removed;
        dropped += removed;
    }
    if (dropped == 0) return;
    m_processed += dropped;
    m_stats.dropped += dropped;
    m_last_error = "more than " + std::to_string(m_options.max_held_rows) +
                   " events waited for the database, so the oldest metric points and samples "
                   "were dropped. " +
                   m_retry_error;
}

}  // namespace wb::storage
