// RunStore: the synchronous side of the run history (run rows, reads for the CLI and the UI,
// and the few control writes). It has its own connection; the Recorder writes events.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/db_path.h"
#include "storage/owner.h"
#include "storage/queue_rows.h"
#include "storage/run_rows.h"
#include "storage/storage_error.h"

namespace wb::storage {

class Connection;

/// What RunStore::claim_run found.
struct Claim {
    bool claimed = false;  ///< this process has the run now
    RunRow before;         ///< the row as it was before the claim
    ProcessOwner holder;   ///< not claimed: the process that has the run live
};

/// Every method may throw StorageError. Safe to share between threads (calls are serialized),
/// though a UI usually keeps one per thread.
class RunStore {
public:
    /// Creates parent folders, opens, migrates and marks runs of dead processes interrupted.
    explicit RunStore(const std::string& db_path);
    struct ReadOnly {};
    /// For commands that only read: never creates the file (a mistyped path is an error) and
    /// never writes to it, so the history stays readable on a full disk or a read-only mount.
    /// Runs of dead processes read as interrupted without being stored so. Only a file an
    /// older build wrote is opened read-write, to migrate it.
    RunStore(const std::string& db_path, ReadOnly);
    ~RunStore();
    RunStore(const RunStore&) = delete;
    RunStore& operator=(const RunStore&) = delete;

    const std::string& path() const;

    /// Status Queued, owned by this process; returns the new id.
    int64_t create_run(const std::string& name, const std::string& model,
                       const std::string& config_json, const std::string& env_json,
                       int64_t total_steps, const std::string& checkpoint_dir);
    /// For a resume with changed settings.
    void update_config(int64_t id, const std::string& config_json, int64_t total_steps);
    /// Takes run `id` for this process in one write transaction (status queued, this process
    /// its owner) unless a live process has it queued, running or paused; of two processes that
    /// claim at once exactly one succeeds. `own_live`: a live row owned by this process is free
    /// (its run ended here and the Recorder has not stored that yet). Throws StorageError for
    /// an unknown id.
    Claim claim_run(int64_t id, bool own_live);
    /// A continue that did not happen: puts back the status, error, end time, settings and step
    /// target of `before` (claim_run's), as long as this process still holds the run.
    void release_claim(const RunRow& before);
    /// Deletes the run's metric points, samples and checkpoint rows and resets its progress, for
    /// a run that starts over from step 0. Its log is kept.
    void clear_history(int64_t id);
    /// Where the run's checkpoints live (known only once the id is, see api::run_files_dir).
    void set_checkpoint_dir(int64_t id, const std::string& dir);
    /// `error` and `failure` are kept as the message and kind of a failed run (an Unset kind
    /// keeps the stored one). Queued, running and paused claim the run for this process (see
    /// run_status.h). Unset is refused.
    void set_status(int64_t id, api::RunStatus status, const std::string& error = {},
                    api::FailureKind failure = api::FailureKind::Unset);
    void rename(int64_t id, const std::string& name);
    void set_notes(int64_t id, const std::string& notes);
    /// Removes the run and its metrics, samples, logs and checkpoint rows (not the files).
    /// False when no run has that id. Meant for finished runs: a live run's Recorder would keep
    /// adding rows for the id.
    bool delete_run(int64_t id);

    /// Newest first.
    std::vector<RunRow> list_runs() const;
    std::optional<RunRow> get_run(int64_t id) const;

    /// Names of the metrics this run has points for, sorted.
    std::vector<std::string> metric_names(int64_t id) const;
    /// Ordered by step.
    std::vector<MetricPoint> metrics(int64_t id, const std::string& name) const;
    /// Points with step > after_step, ordered by step: lets a live plot fetch only what is new.
    /// A resumed run rewrites steps after its checkpoint, so reload fully when a run resumes.
    std::vector<MetricPoint> metrics_after(int64_t id, const std::string& name,
                                           int64_t after_step) const;
    /// The point with the highest step of every metric.
    std::map<std::string, MetricPoint> last_metrics(int64_t id) const;
    /// Ordered by step (then arrival); an empty kind means every kind.
    std::vector<SampleRow> samples(int64_t id, const std::string& kind = {}) const;
    std::optional<SampleRow> latest_sample(int64_t id, const std::string& kind = {}) const;
    /// In arrival order, so a resumed run's log reads as it happened.
    std::vector<LogRow> logs(int64_t id) const;
    /// The checkpoint written last (after a resume from an older checkpoint this is the new
    /// timeline's, even when an abandoned one had a higher step).
    std::optional<CheckpointRow> latest_checkpoint(int64_t id) const;

    // The run queue (storage/run_queue.cpp, issue 18).
    /// A run row that waits for the scheduler (status queued, no owner) and its queue entry,
    /// in one transaction, behind every entry of the same priority. Returns the run's id.
    int64_t enqueue_run(const std::string& name, const std::string& model,
                        const std::string& config_json, const std::string& env_json,
                        int64_t total_steps, const QueueResources& need, int64_t priority,
                        const std::string& sweep);
    /// In the scheduler's order: priority (higher first), then position. `finished`: also the
    /// done and cancelled ones.
    std::vector<QueueEntry> queue_entries(bool finished) const;
    std::optional<QueueEntry> queue_entry(int64_t id) const;
    /// Throws StorageError when `id` is not in the queue.
    void set_queue_priority(int64_t id, int64_t priority);
    /// Puts `id` just before `before` in the order (before = 0: behind every entry), taking
    /// `before`'s priority so the order holds. Throws StorageError for ids not in the queue.
    void move_in_queue(int64_t id, int64_t before);
    /// The scheduler's moves. Each applies only from the state it expects and says whether it
    /// did, so two writers cannot both move one entry.
    bool queue_started(int64_t id, int64_t worker_pid,
                       const std::vector<int>& gpus);  ///< from Waiting
    bool queue_preempting(int64_t id);                 ///< from Started
    /// From Started or Preempting back to Waiting; its run becomes queued with no owner again.
    bool queue_requeue(int64_t id, bool preempted, const std::string& note);
    bool queue_done(int64_t id, const std::string& note);  ///< from Waiting, Started, Preempting
    /// Takes the entry out of the queue (Cancelled); a waiting run's row becomes stopped. The
    /// entry as it was, or nullopt when it is not in the queue or has ended.
    std::optional<QueueEntry> queue_cancel(int64_t id);
    /// One scheduler per database: nullopt when this process holds the lock now (taken, or
    /// held already, or taken over from a process that is gone); otherwise its live holder.
    std::optional<std::pair<ProcessOwner, double>> take_scheduler_lock();
    void release_scheduler_lock();

    /// Runs left queued, running or paused by a process of this host that no longer exists
    /// become "interrupted". Returns how many; the constructor calls it.
    int mark_interrupted_runs();

private:
    void require_changed(int64_t id) const;
    /// Read-only stores: a live row whose process is gone reads as interrupted.
    void judge_liveness(RunRow& row) const;
    /// Runs `sql` (an UPDATE of one text column, ?1 = id, ?2 = value); throws for unknown ids.
    void set_text(int64_t id, const char* sql, const std::string& value);

    std::unique_ptr<Connection> m_db;
    mutable std::mutex m_mutex;
};

}  // namespace wb::storage
