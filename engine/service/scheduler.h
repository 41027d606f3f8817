// The run queue's scheduler (issue 18): starts queued runs while the resources they declared fit
// what is free, in child processes (`workbench-cli queue-worker ID`) so that one run's crash
// never takes the others down, and preempts a lower-priority run by checkpoint when a
// higher-priority one does not fit. Qt-free: the CLI's `scheduler` command and the app both
// drive it with tick().
//
// Policy, in one place (plan_queue):
// - Waiting runs are taken strictly in order: priority (higher first), then queue position.
//   A run that does not fit blocks the ones behind it, so a large run is never starved by a
//   stream of small ones (no backfill).
// - The blocked run preempts running runs of strictly lower priority, the lowest priority first
//   (the most recently started first among equals), as few as make it fit. Runs of its own
//   priority are never preempted: no fair share between sweeps; equal priorities are FIFO.
// - A preempted run stops at a checkpoint, goes back to the queue keeping its place, and
//   continues later from that checkpoint with no step lost.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "storage/queue_rows.h"

namespace wb::storage {
class RunStore;
}

namespace wb::service {

/// What the machine offers the queue.
struct Capacity {
    int cores = 1;
    /// One entry per GPU (its CUDA index is the position): its memory in MiB, 0 when unknown
    /// (then shares of it are not checked against memory, only whole-GPU reservations).
    std::vector<int64_t> gpu_mem_mb;
};

/// The cores of this machine that this process may use (its CPU affinity), at least 1.
int usable_cores();

/// Why `need` can never run on `capacity` (more threads than cores, a GPU it does not have,
/// more memory than a GPU has), naming the option to change; nullopt when it can.
std::optional<std::string> never_fits(const storage::QueueResources& need,
                                      const Capacity& capacity);

struct Plan {
    struct Start {
        int64_t run_id = 0;
        std::vector<int> gpus;  ///< the CUDA indices it gets
    };
    std::vector<Start> starts;
    /// Running runs to stop at a checkpoint so that the first blocked run fits.
    std::vector<int64_t> preempt;
    /// The first waiting run that does not fit now, 0 when none.
    int64_t blocked = 0;
};

/// The decisions for one moment. `entries` in queue order (RunStore::queue_entries): Waiting
/// entries whose run waits are candidates; Started and Preempting ones hold their resources.
/// Pure, so the tests drive it with made-up queues.
Plan plan_queue(const std::vector<storage::QueueEntry>& entries, const Capacity& capacity);

/// How the scheduler starts a worker for run `run_id` with these GPUs; returns its pid, or
/// throws std::runtime_error. The default forks and execs `worker_exe`.
using SpawnWorker = std::function<int64_t(int64_t run_id, const std::vector<int>& gpus)>;

struct SchedulerOptions {
    std::string worker_exe;  ///< workbench-cli, run as `worker_exe --db DB queue-worker ID`
    Capacity capacity;
    /// A run whose worker ended without finishing it (killed, crashed) is started again from
    /// its last checkpoint up to this many times in all, then left as it ended.
    int max_starts = 3;
    SpawnWorker spawn;  ///< empty: fork and exec worker_exe (tests inject fakes)
};

/// What one tick did, in words for the terminal or the app's log.
struct TickReport {
    std::vector<std::string> lines;
    int running = 0;  ///< entries started or preempting after the tick
    int waiting = 0;  ///< entries waiting after the tick
    bool idle() const { return running == 0 && waiting == 0; }
};

class Scheduler {
public:
    Scheduler(storage::RunStore& store, SchedulerOptions options);
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    /// Takes the database's scheduler lock; the error names who holds it otherwise.
    std::optional<std::string> lock();
    void unlock();

    /// Reaps ended workers, moves entries whose runs ended, then starts and preempts what
    /// plan_queue says. Storage errors propagate (StorageError).
    TickReport tick();
    /// Asks every run this queue started to stop at a checkpoint (they go back to the queue
    /// when their workers have stopped, see tick); for a scheduler that is asked to end.
    std::vector<int64_t> preempt_all();
    /// From now on tick() starts nothing (a scheduler that is ending).
    void stop_starting() { m_starting = false; }

private:
    int64_t spawn(int64_t run_id, const std::vector<int>& gpus);
    void reconcile(const storage::QueueEntry& e, TickReport* report);

    storage::RunStore& m_store;
    SchedulerOptions m_options;
    bool m_locked = false;
    bool m_starting = true;
};

}  // namespace wb::service
