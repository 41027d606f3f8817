// Engine: the abstract training service the UI and CLI drive. TorchEngine (engine/) implements
// it with LibTorch; tests and the UI can use a fake. All calls are thread-safe and non-blocking.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/api/run_config.h"
#include "engine/api/run_event.h"

namespace wb::api {

/// Where a rank finds its process group (engine/dist): torchrun's variables, or the ranks the run
/// service starts itself. world 0: a run of one process.
struct DistJoin {
    std::string addr;     ///< MASTER_ADDR: rank 0's store
    int port = 0;         ///< MASTER_PORT
    int rank = 0;         ///< RANK
    int world = 0;        ///< WORLD_SIZE
    int local_rank = 0;   ///< LOCAL_RANK: this machine's GPU cuda:LOCAL_RANK
    int local_world = 1;  ///< LOCAL_WORLD_SIZE: ranks on this machine (they share its cores)
    int restart = 0;      ///< TORCHELASTIC_RESTART_COUNT: keys of earlier attempts are not read
    bool agent_store = false;  ///< TORCHELASTIC_USE_AGENT_STORE: rank 0 joins torchrun's store
    /// Under torchrun: its job, the same in every restart of its workers. TORCHELASTIC_RUN_ID
    /// (--rdzv_id; --standalone makes one up), and where that is torchrun's default "none",
    /// also rank 0's host and parent (torchrun's agent). Empty otherwise.
    std::string job;
    /// Set where the run service started the other ranks: what became of them ("rank 1 (pid 42)
    /// was killed by signal 9"), empty while they all live.
    std::function<std::string()> peers_report;

    bool active() const { return world > 1; }
};

struct StartRequest {
    int64_t run_id = 0;  ///< assigned by the caller (the storage row id)
    RunConfig config;
    std::string checkpoint_dir;  ///< where this run's checkpoints live
    bool resume = false;         ///< continue from the newest checkpoint in checkpoint_dir
    DistJoin dist;               ///< the process group this rank joins (dist.mode=data)
    /// distill.teacher's run as the run service found it in the history.
    struct Teacher {
        int64_t run_id = 0;
        std::string name;
        RunConfig config;            ///< what it was trained with (its model's shape)
        std::string checkpoint_dir;  ///< its newest readable checkpoint is the teacher
    } teacher;
};

struct RunInfo {
    int64_t run_id = 0;
    RunStatus status = RunStatus::Unset;
    int64_t step = 0;
    int64_t total_steps = 0;
};

class Engine {
public:
    virtual ~Engine() = default;

    /// Starts training on a thread of its own. Returns the config problems that prevent the
    /// start (empty on success); runtime failures arrive later as a Failed status event.
    virtual std::vector<ConfigError> start(const StartRequest& request) = 0;
    virtual void pause(int64_t run_id) = 0;
    virtual void resume(int64_t run_id) = 0;
    /// Asks the run to stop after its current step; it writes a checkpoint and reports Stopped.
    virtual void stop(int64_t run_id) = 0;
    virtual std::vector<RunInfo> runs() const = 0;
    /// Moves every event buffered since the last call out of the engine.
    virtual std::vector<RunEvent> drain() = 0;
    /// Blocks until the run's thread has ended (or returns at once for unknown runs).
    virtual void wait(int64_t run_id) = 0;
    /// Device, library versions and build facts, recorded with each run.
    virtual std::string environment_json() const = 0;
};

}  // namespace wb::api
