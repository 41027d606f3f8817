// Recorder: stores the RunEvent stream on its own thread with its own connection, committing
// a batch about every commit_interval_ms, so training threads never wait on the disk.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/api/run_event.h"
#include "storage/event_chunk.h"
#include "storage/storage_error.h"

namespace wb::storage {

class BatchWriter;

struct RecorderOptions {
    int commit_interval_ms = 200;  ///< how long events may wait to be batched
    /// Commit early once this many events are queued. Also the most one transaction takes (in
    /// whole record() calls), so a backlog never holds the write lock long enough to time out
    /// RunStore's writes.
    std::size_t max_batch_rows = 20000;
};

struct RecorderStats {
    uint64_t events = 0;   ///< events committed
    uint64_t commits = 0;  ///< transactions committed
    uint64_t dropped = 0;  ///< events lost because their batch failed (see last_error)
};

class Recorder {
public:
    /// Opens (and migrates) the database on the calling thread so a bad path throws here.
    explicit Recorder(const std::string& db_path, RecorderOptions options = {});
    /// Commits what is queued, then joins the thread.
    ~Recorder();
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    /// Never blocks on SQLite: the events move into a queue. Safe from any thread.
    void record(std::vector<api::RunEvent> events);
    /// Blocks until everything recorded before the call is committed (or dropped).
    void flush();
    RecorderStats stats() const;
    /// The StorageError text of the last failed batch; empty when none failed. A failed batch
    /// is dropped rather than retried so a full disk cannot grow the queue without bound.
    std::string last_error() const;

private:
    void run_loop();

    RecorderOptions m_options;
    std::unique_ptr<BatchWriter> m_writer;

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;  ///< the writer thread waits here
    std::condition_variable m_done;  ///< flush() waits here
    std::deque<EventChunk> m_pending;
    std::size_t m_pending_rows = 0;
    uint64_t m_recorded = 0;   ///< events accepted by record()
    uint64_t m_processed = 0;  ///< events committed or dropped
    uint64_t m_flush_target = 0;
    bool m_stop = false;
    RecorderStats m_stats;
    std::string m_last_error;

    std::thread m_thread;  ///< last: starts after every member it uses exists
};

}  // namespace wb::storage
