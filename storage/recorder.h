// Recorder: stores the RunEvent stream on its own thread with its own connection, committing
// a batch about every commit_interval_ms, so training threads never wait on the disk.
#pragma once

#include <chrono>
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
    /// A batch whose commit fails for a reason that can pass (another writer holds the lock past
    /// the busy timeout, the disk is full) is kept, in order, and tried again for this long
    /// before it is dropped. 0: drop at the first failure.
    int retry_for_ms = 10 * 60 * 1000;
    /// Pause between two attempts (an attempt on a locked file already waits the busy timeout).
    int retry_pause_ms = 500;
    /// Most events held while commits fail. Beyond it the oldest metric points and samples are
    /// dropped first, so memory stays bounded; statuses, checkpoints and logs are kept.
    std::size_t max_held_rows = 1000000;
};

struct RecorderStats {
    uint64_t events = 0;   ///< events committed
    uint64_t commits = 0;  ///< transactions committed
    uint64_t dropped = 0;  ///< events lost: their batch failed for good (see last_error)
    uint64_t retries = 0;  ///< failed attempts whose events were held and tried again
    uint64_t held = 0;     ///< events waiting now because the last attempt failed
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
    /// Blocks until everything recorded before the call is committed (or dropped), which
    /// while the database is locked can take up to RecorderOptions::retry_for_ms.
    void flush();
    /// The same, for at most `timeout`; true when everything recorded before was handled.
    bool flush_for(std::chrono::milliseconds timeout);
    RecorderStats stats() const;
    /// The StorageError text of the last error that lost events; empty while none was lost.
    std::string last_error() const;
    /// Why events are being held right now (the last attempt's error); empty when the last
    /// attempt succeeded.
    std::string retry_error() const;
    /// Events are held because another connection holds the write lock, which passes by itself;
    /// false when nothing is held or the cause needs the user (a full or failing disk).
    bool held_for_lock() const;
    /// Gives up on everything held now: those events count as dropped (last_error() says why);
    /// later events are tried as usual. For a caller that has waited long enough on a full
    /// disk. Returns once they are dropped (an attempt under way may first take the busy
    /// timeout).
    void abandon();

private:
    void run_loop();
    /// After a failed attempt: puts `batch` back at the head of the queue, or drops it when
    /// the error cannot pass or has lasted longer than retry_for_ms. Called with m_mutex held.
    void hold_or_drop(std::vector<EventChunk>& batch, std::size_t rows, const std::string& error,
                      bool may_pass);
    /// Drops everything held (after abandon()). Called with m_mutex held.
    void drop_pending();
    /// Drops held metric points and samples, oldest first, down to max_held_rows.
    void trim_held();

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
    std::string m_retry_error;
    bool m_failing = false;  ///< the last attempt failed and its events are held
    int m_retry_code = 0;    ///< SQLite code of the last failed attempt
    bool m_abandon = false;
    std::chrono::steady_clock::time_point m_failing_since;

    std::thread m_thread;  ///< last: starts after every member it uses exists
};

}  // namespace wb::storage
