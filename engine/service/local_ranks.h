// LocalRanks: ranks 1..N-1 of a data-parallel run that the run service starts on this machine
// itself (no torchrun), as `workbench-cli dist-worker` processes that join rank 0's group.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/api/engine.h"

namespace wb::service {

class LocalRanks {
public:
    /// Starts `world` - 1 workers of `exe` and returns them, with `rank0` set to the group they
    /// join (127.0.0.1 on a free port). Throws std::runtime_error naming the cause.
    static std::shared_ptr<LocalRanks> start(const std::string& exe, int world, double timeout_s,
                                             api::DistJoin* rank0);
    ~LocalRanks();
    LocalRanks(const LocalRanks&) = delete;
    LocalRanks& operator=(const LocalRanks&) = delete;

    /// What became of the ranks that ended badly ("rank 1 (pid 42) was killed by signal 9"),
    /// empty while they live or after they ended well. Thread-safe.
    std::string report();
    /// Waits up to `grace` for every worker to end, then terminates the rest.
    void finish(std::chrono::milliseconds grace);

private:
    LocalRanks() = default;
    void reap(bool block);
    /// Reaps until every worker has ended (true) or `wait` has passed (false).
    bool ended_within(std::chrono::milliseconds wait);
    void signal_live(int sig);

    std::mutex m_mutex;
    std::vector<pid_t> m_pids;        ///< index r-1 is rank r; 0 once reaped
    std::vector<std::string> m_ends;  ///< how each one ended badly, else empty
};

}  // namespace wb::service
