// RunService: the run lifecycle that workbench-cli and the desktop app share: validate once,
// record the row, start, continue from a checkpoint, steer, track statuses, and edit the history.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/api/engine.h"
#include "engine/service/refusal.h"
#include "storage/queue_rows.h"
#include "storage/run_rows.h"

namespace wb::storage {
class RunStore;
}

namespace wb::service {

struct DroppedAhead;

/// A run that started, or the refusal that kept it from starting.
struct Started {
    int64_t run_id = 0;  ///< also set when the row exists but the engine refused the run
    std::string name;
    std::string checkpoint_dir;
    api::RunConfig config;
    std::optional<Refusal> refusal;
    /// Said to the user as the run starts (and kept in its log), e.g. steps without metrics.
    std::vector<std::string> warnings;
    bool ok() const { return !refusal; }
};

/// A stored run with its settings read back, or why they cannot be used.
struct StoredRun {
    storage::RunRow row;
    api::RunConfig config;
    std::optional<Refusal> refusal;
    bool ok() const { return !refusal; }
};

/// What drain() moved out of the engine. The events are returned even when the sink failed.
struct Drained {
    std::vector<api::RunEvent> events;
    std::string sink_error;  ///< what the sink threw (the database went away); empty when none
    /// Things the user should know that no event says: a continue that failed before its first
    /// step and so left the run's row as it was.
    std::vector<std::string> notes;
};

class LocalRanks;

/// Where a data-parallel run (dist.mode=data) gets its other ranks.
struct DistLaunch {
    /// torchrun or srun started this process as rank 0 of this group (api::join_from_environment).
    api::DistJoin external;
    /// Otherwise the service starts dist.world_size - 1 ranks on this machine as
    /// `worker_exe dist-worker`; empty: this front end cannot, and refuses such runs.
    std::string worker_exe;
};

struct ContinueOptions {
    /// When no checkpoint is left (its folder was removed), start over from step 0 and replace
    /// the run's stored metrics and samples. Without it such a continue is refused. Also when
    /// every checkpoint is ahead of the stored history: then they are removed and the run starts
    /// over instead of continuing with a gap in its metrics.
    bool restart_without_checkpoint = false;
};

/// Every call returns its problems instead of throwing. Not thread-safe: one thread (the CLI's
/// main thread, the UI thread) drives it; the engine's runs train on threads of their own.
class RunService {
public:
    /// Receives every drained batch before the caller sees it (the apps pass the Recorder's
    /// record), so what is shown has been handed to storage. May be empty.
    using EventSink = std::function<void(const std::vector<api::RunEvent>&)>;

    RunService(api::Engine& engine, storage::RunStore& store, EventSink sink);
    RunService(const RunService&) = delete;
    RunService& operator=(const RunService&) = delete;

    /// Validates, creates the row (Queued), proves the checkpoint folder writable and starts.
    /// Invalid settings leave no row; later refusals leave the row Failed with the message.
    Started start(const api::RunConfig& config, const std::string& name);
    /// Adds a run to the queue (issue 18) after the same checks as start(): a row queued with
    /// no owner, which the scheduler starts once `need` fits. Invalid settings leave no row.
    Started enqueue(const api::RunConfig& config, const std::string& name,
                    const storage::QueueResources& need, int64_t priority,
                    const std::string& sweep);
    /// Reads run `id` and parses its stored settings; refuses unknown ids and damaged rows.
    StoredRun stored_run(int64_t id) const;
    /// Continues a finished run from its newest checkpoint with `config` (its stored settings,
    /// changed by the caller: more steps, say). Refuses runs that train here or elsewhere (the
    /// claim is atomic in the database), changes to the model's architecture, and a run whose
    /// checkpoints are gone unless `options` allow starting over. A continue that fails before
    /// its first step leaves the row as it was (see Drained::notes).
    Started continue_run(int64_t id, const api::RunConfig& config,
                         const ContinueOptions& options = {});

    void pause(int64_t id);
    void resume(int64_t id);
    /// Asks the run to stop after its current step; it writes a checkpoint and reports Stopped.
    void stop(int64_t id);
    /// Stops every live run started here; does not wait.
    void stop_all();
    /// Moves the engine's events out, hands them to the sink, and tracks the statuses.
    Drained drain();
    /// Blocks until the run's thread has ended, then drains what it left.
    Drained wait(int64_t id);
    /// Stops every live run, waits for their threads and drains their last events.
    Drained shutdown();

    /// How dist.mode=data runs get their ranks; without it they are refused.
    void set_dist_launch(DistLaunch launch) { m_dist = std::move(launch); }

    /// Unset for runs not started by this service.
    api::RunStatus status(int64_t id) const;
    std::vector<int64_t> active_runs() const;

    std::optional<Refusal> rename(int64_t id, const std::string& name);
    std::optional<Refusal> set_notes(int64_t id, const std::string& notes);
    /// Removes the run's rows and its checkpoint folder (only the one named after the run).
    /// Refuses runs that are still training; an unknown id is not an error.
    std::optional<Refusal> delete_run(int64_t id);

    /// The read side: history, compare and live views query it directly.
    const storage::RunStore& store() const { return *m_store; }
    /// Switches to another database; only while no run is active (their events belong to the
    /// old one). False otherwise.
    bool set_store(storage::RunStore& store, EventSink sink);

private:
    /// Marks a run whose start was refused after its row existed; a storage error is added to
    /// the refusal's message rather than lost.
    void mark_failed(int64_t id, Refusal& refusal, api::FailureKind kind);
    /// distill.teacher's run for `request` (of run `self`, 0 for a new one): a config refusal
    /// naming the key when there is no such run, it is no GPT, its context is too short or no
    /// checkpoint of it is left.
    std::optional<Refusal> find_teacher(const api::RunConfig& config, int64_t self,
                                        api::StartRequest::Teacher* teacher) const;
    /// What start() and enqueue() check before a row exists: the settings, the memory they
    /// need, and the teacher (filled into `request`).
    std::optional<Refusal> check_new(const api::RunConfig& config,
                                     api::StartRequest* request) const;
    /// Proves the checkpoint folder writable, then hands the request to the engine.
    std::optional<Refusal> launch(const api::StartRequest& request, const std::string& what);
    bool is_tracked_final(int64_t id) const;
    /// Moves what a failed continue changed back (see continue_run) and returns the note.
    std::string undo_continue(int64_t id);
    /// The warning for steps without stored metrics, also written to the run's log.
    std::string gap_warning(const storage::RunRow& row, const DroppedAhead& d);

    api::Engine& m_engine;
    storage::RunStore* m_store = nullptr;
    EventSink m_sink;
    std::map<int64_t, api::RunStatus> m_status;
    /// A continued run that has not reported Running yet.
    struct Continuing {
        storage::RunRow before;  ///< its row before the claim
        bool restart = false;    ///< no checkpoint was left: its history is cleared once it runs
    };
    std::map<int64_t, Continuing> m_continuing;
    DistLaunch m_dist;
    /// The ranks this service started for a run, until it ends.
    std::map<int64_t, std::shared_ptr<LocalRanks>> m_ranks;
    /// Fills `request.dist` for a dist.mode=data run (starting its local ranks); a refusal when
    /// it cannot.
    std::optional<Refusal> join_ranks(api::StartRequest& request);
};

}  // namespace wb::service
