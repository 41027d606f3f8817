// Engine: the abstract training service the UI and CLI drive. TorchEngine (engine/) implements
// it with LibTorch; tests and the UI can use a fake. All calls are thread-safe and non-blocking.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/api/run_config.h"
#include "engine/api/run_event.h"

namespace wb::api {

struct StartRequest {
    int64_t run_id = 0;  ///< assigned by the caller (the storage row id)
    RunConfig config;
    std::string checkpoint_dir;  ///< where this run's checkpoints live
    bool resume = false;         ///< continue from the newest checkpoint in checkpoint_dir
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
