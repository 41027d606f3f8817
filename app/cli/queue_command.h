// `workbench-cli queue ...`, `scheduler` and `sweep`: the run queue, its scheduler, and a sweep's
// group summary (issue 18). Each returns a process exit code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <functional>
#include <memory>

#include "app/cli/train_command.h"
#include "engine/api/engine.h"
#include "engine/service/scheduler.h"

namespace wb::storage {
class RunStore;
}

namespace wb::cli {

struct QueueAddOptions {
    int64_t priority = 0;
    int threads = 0;  ///< per process; 0: train.threads when set, else 1
    int gpus = 0;
    std::string gpu_ids;  ///< "0,2"
    int64_t gpu_mem_mb = 0;
    std::vector<std::string> sweeps;  ///< "key=v1,v2"
    int seeds = 1;
    bool json = false;
};

/// What the machine offers the queue: `cores` (0: the usable ones), `gpus` (-1: what CUDA sees,
/// from the engine), `gpu_mem_mb` per GPU (0: unknown).
service::Capacity machine_capacity(const api::Engine& engine, int cores, int gpus,
                                   int64_t gpu_mem_mb);
/// The training engine, or nullptr after saying why it could not start.
std::unique_ptr<api::Engine> start_engine();
/// Runs `f` on the database opened read-write; a storage error is printed and exits 1.
int with_store(const std::string& db, const std::function<int(storage::RunStore&)>& f);

int queue_add_command(const TrainOptions& train, const QueueAddOptions& options);
int queue_list_command(const std::string& db, bool all, bool json);
int queue_cancel_command(const std::string& db, int64_t id);
int queue_priority_command(const std::string& db, int64_t id, int64_t priority);
/// Puts `id` before `before` (0: at the end).
int queue_move_command(const std::string& db, int64_t id, int64_t before);

struct SchedulerCliOptions {
    std::string db;
    bool until_idle = false;
    int cores = 0;  ///< 0: the cores this process may use
    int gpus = -1;  ///< -1: the GPUs CUDA sees
    int64_t gpu_mem_mb = 0;
    double interval_s = 0.5;
};
int scheduler_command(const SchedulerCliOptions& options);

/// Each member's last value of the headline metrics, then mean ± sd over the members.
int sweep_command(const std::string& db, const std::string& sweep, bool json);

}  // namespace wb::cli
