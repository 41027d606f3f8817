// The run queue's rows (issue 18): what a queued run declared it needs, and where it stands.
// The scheduler (engine/service/scheduler.h) decides; RunStore stores (storage/run_queue.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/api/run_event.h"
#include "storage/owner.h"

namespace wb::storage {

/// What a run holds while it trains. Threads are counted against the machine's cores; GPUs
/// either whole (gpu_mem_mb 0: nobody else on them, as NVIDIA DIGITS reserves a GPU per job) or
/// as a share of each GPU's memory, so that several small trials fit on one GPU.
struct QueueResources {
    int threads = 1;
    int gpus = 0;              ///< how many GPUs, any free ones (ignored when gpu_ids is set)
    std::vector<int> gpu_ids;  ///< exactly these GPUs
    int64_t gpu_mem_mb = 0;    ///< on each of its GPUs; 0: the whole GPU
    int gpu_count() const { return gpu_ids.empty() ? gpus : static_cast<int>(gpu_ids.size()); }
};

enum class QueueState : uint8_t {
    Waiting,     ///< its run is queued with no owner: the scheduler may start it
    Started,     ///< a worker was started for it
    Preempting,  ///< asked to stop at a checkpoint for a run of higher priority; then Waiting
    Done,        ///< its run ended (completed, failed, or stopped by the user)
    Cancelled,   ///< taken out of the queue by the user
};

const char* to_string(QueueState s);
/// Waiting for text that names no state (a newer build's).
QueueState queue_state_from_string(const std::string& text);

/// "0,2" and back; throws std::invalid_argument for anything else.
std::string gpu_list_text(const std::vector<int>& ids);
std::vector<int> parse_gpu_list(const std::string& text);

struct QueueEntry {
    int64_t run_id = 0;
    int64_t priority = 0;  ///< higher first
    double position = 0;   ///< order among equal priorities, lower first
    QueueResources need;
    std::string sweep;  ///< the sweep it belongs to, empty when none
    QueueState state = QueueState::Waiting;
    std::vector<int> assigned_gpus;
    int64_t worker_pid = 0;
    int starts = 0;       ///< workers started for it so far
    int preemptions = 0;  ///< times it gave way to a run of higher priority
    double added_at = 0;
    std::string note;  ///< why it ended as it did, when the run's own row cannot say

    // From its run's row:
    std::string name;
    std::string model;
    api::RunStatus status = api::RunStatus::Unset;
    int64_t steps_done = 0;
    int64_t total_steps = 0;
    ProcessOwner owner;       ///< the process that has the run, empty while it waits
    bool owner_gone = false;  ///< that process is certainly gone (see owner_is_gone)
    double started_at = 0;
    double ended_at = 0;
    /// Started or preempting: its reservation counts against the machine.
    bool holds_resources() const {
        return state == QueueState::Started || state == QueueState::Preempting;
    }
    /// The run waits for the scheduler: queued, nobody has claimed it.
    bool waiting_run() const { return status == api::RunStatus::Queued && owner.host.empty(); }
};

}  // namespace wb::storage
