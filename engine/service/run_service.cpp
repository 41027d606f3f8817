// The run lifecycle: every storage, engine and JSON error becomes a Refusal whose message names
// the cause and the fix, so neither executable needs a try block of its own.
#include "engine/service/run_service.h"

#include <algorithm>
#include <exception>
#include <utility>

#include <nlohmann/json.hpp>

#include "engine/api/dist_rules.h"
#include "engine/api/memory_estimate.h"
#include "engine/api/paths.h"
#include "engine/api/schema.h"
#include "engine/service/local_ranks.h"
#include "engine/service/refusal_text.h"
#include "engine/service/run_files.h"
#include "storage/run_store.h"

namespace wb::service {
namespace {

using Cause = Refusal::Cause;
using detail::config_refusal;
using detail::is_live;
using detail::refusal;
using detail::run_label;

api::FailureKind failure_kind(Cause cause) {
    switch (cause) {
        case Cause::Config:
            return api::FailureKind::Config;
        case Cause::Checkpoint:
            return api::FailureKind::Checkpoint;
        default:
            return api::FailureKind::Other;
    }
}

}  // namespace

RunService::RunService(api::Engine& engine, storage::RunStore& store, EventSink sink)
    : m_engine(engine), m_store(&store), m_sink(std::move(sink)) {}

std::optional<Refusal> RunService::check_new(const api::RunConfig& config,
                                             api::StartRequest* request) const {
    // The engine validates too, but a config problem must not leave a row behind.
    auto problems = config.validate();
    if (problems.empty()) problems = api::memory_problems(config, api::usable_memory_bytes());
    if (!problems.empty())
        return config_refusal("The configuration is not valid", std::move(problems));
    return find_teacher(config, 0, &request->teacher);
}

Started RunService::start(const api::RunConfig& config, const std::string& name) {
    Started s;
    s.name = name;
    s.config = config;
    api::StartRequest request;
    if ((s.refusal = check_new(config, &request))) return s;
    try {
        const std::string env = m_engine.environment_json();
        s.run_id = m_store->create_run(name, config.model.kind, config.to_json().dump(), env,
                                       config.train.steps, {});
        // The row's id names the checkpoint folder, so it is set once the id exists.
        s.checkpoint_dir = api::run_files_dir(m_store->path(), s.run_id);
        m_store->set_checkpoint_dir(s.run_id, s.checkpoint_dir);
    } catch (const std::exception& e) {
        s.refusal =
            refusal(Cause::Storage, std::string("Could not record the new run: ") + e.what());
        if (s.run_id > 0) mark_failed(s.run_id, *s.refusal, api::FailureKind::Other);
        return s;
    }
    request.run_id = s.run_id;
    request.config = config;
    request.checkpoint_dir = s.checkpoint_dir;
    s.refusal = launch(request, "start");
    if (s.refusal) mark_failed(s.run_id, *s.refusal, failure_kind(s.refusal->cause));
    return s;
}

Started RunService::enqueue(const api::RunConfig& config, const std::string& name,
                            const storage::QueueResources& need, int64_t priority,
                            const std::string& sweep) {
    Started s;
    s.name = name;
    s.config = config;
    api::StartRequest request;  // its teacher is found again when the worker continues the run
    if ((s.refusal = check_new(config, &request))) return s;
    try {
        s.run_id = m_store->enqueue_run(name, config.model.kind, config.to_json().dump(),
                                        m_engine.environment_json(), config.train.steps, need,
                                        priority, sweep);
        s.checkpoint_dir = api::run_files_dir(m_store->path(), s.run_id);
        m_store->set_checkpoint_dir(s.run_id, s.checkpoint_dir);
    } catch (const std::exception& e) {
        s.refusal = refusal(Cause::Storage, std::string("Could not queue the run: ") + e.what());
    }
    return s;
}

std::optional<Refusal> RunService::find_teacher(const api::RunConfig& config, int64_t self,
                                                api::StartRequest::Teacher* teacher) const {
    if (!config.distill.enabled()) return std::nullopt;
    const int64_t id = config.distill.teacher;
    const std::string label = "run " + std::to_string(id);
    const auto refuse = [&](const std::string& why) {
        return config_refusal("The teacher cannot teach this run", {{"distill.teacher", why}});
    };
    if (id == self) return refuse("a run cannot be its own teacher: pick another GPT run");
    StoredRun t = stored_run(id);
    if (t.row.id == 0)
        return refuse("there is no " + label + " in " + m_store->path() +
                      ": pick a trained GPT run from the history (workbench-cli runs)");
    if (!t.ok()) return t.refusal;
    if (t.config.model.kind != "gpt")
        return refuse(label + " (" + t.row.name + ") trained a " + t.config.model.kind +
                      ", not a GPT: the teacher must be a GPT run");
    if (t.config.model.context < config.model.context)
        return refuse(label + "'s GPT reads " + std::to_string(t.config.model.context) +
                      " characters at most, fewer than this run's model.context " +
                      std::to_string(config.model.context) +
                      ": lower model.context, or pick a teacher with a longer context");
    teacher->checkpoint_dir = api::checkpoint_dir_of(m_store->path(), id, t.row.checkpoint_dir);
    if (api::list_checkpoint_files(teacher->checkpoint_dir).empty())
        return refuse(label + " has no checkpoint left in " + teacher->checkpoint_dir +
                      " to teach from: train it on (workbench-cli resume " + std::to_string(id) +
                      ") or pick another run");
    teacher->run_id = id;
    teacher->name = t.row.name;
    teacher->config = t.config;
    return std::nullopt;
}

StoredRun RunService::stored_run(int64_t id) const {
    StoredRun out;
    std::optional<storage::RunRow> row;
    try {
        row = m_store->get_run(id);
    } catch (const std::exception& e) {
        out.refusal = refusal(Cause::Storage, "Could not read " + run_label(id) + ": " + e.what());
        return out;
    }
    if (!row) {
        out.refusal =
            refusal(Cause::State, "There is no " + run_label(id) + " in " + m_store->path() +
                                      ". List the runs to see which ids exist.");
        return out;
    }
    out.row = *row;
    std::vector<api::ConfigError> errors;
    try {
        const nlohmann::json j = nlohmann::json::parse(row->config_json);
        if (!j.is_object()) throw std::runtime_error("the settings are not a JSON object");
        out.config = api::RunConfig::from_json(j, &errors);
        // Leftovers of another model in settings stored before validation refused them.
        api::reset_inapplicable_fields(out.config);
    } catch (const std::exception& e) {
        out.refusal = refusal(
            Cause::Storage,
            "The stored settings of " + run_label(id) + " in " + m_store->path() +
                " are damaged (" + e.what() +
                "): the row was changed outside the workbench. This run cannot be continued; "
                "start a new run with the settings you want. Its metrics, samples and log stay "
                "readable.");
        return out;
    }
    if (!errors.empty())
        out.refusal =
            config_refusal("The stored settings of " + run_label(id) + " do not fit this version",
                           std::move(errors));
    return out;
}

std::optional<Refusal> RunService::launch(const api::StartRequest& request,
                                          const std::string& what) {
    const int64_t id = request.run_id;
    if (const std::string cause = prepare_checkpoint_dir(request.checkpoint_dir); !cause.empty())
        return refusal(Cause::Checkpoint,
                       "Cannot write the checkpoints of " + run_label(id) + " to " +
                           request.checkpoint_dir + ": " + cause +
                           ". Make that folder writable (or move away the file in its way), "
                           "or use a database in a writable folder.");
    api::StartRequest joined = request;
    if (auto r = join_ranks(joined)) return r;
    std::vector<api::ConfigError> errors;
    try {
        errors = m_engine.start(joined);
    } catch (const std::exception& e) {
        m_ranks.erase(id);
        return refusal(Cause::Engine, "The training engine could not " + what + " " +
                                          run_label(id) + ": " + e.what());
    }
    if (!errors.empty()) {
        m_ranks.erase(id);
        return config_refusal("The engine refused to " + what + " " + run_label(id),
                              std::move(errors));
    }
    m_status[id] = api::RunStatus::Queued;
    return std::nullopt;
}

std::optional<Refusal> RunService::join_ranks(api::StartRequest& request) {
    const api::RunConfig& c = request.config;
    if (!c.dist.distributed()) return std::nullopt;
    const int world =
        m_dist.external.active() ? m_dist.external.world : static_cast<int>(c.dist.world_size);
    if (auto problems = api::dist_problems(c, world); !problems.empty())
        return config_refusal("The run cannot be split over " + std::to_string(world) + " ranks",
                              std::move(problems));
    if (m_dist.external.active()) {
        request.dist = m_dist.external;
        return std::nullopt;
    }
    if (m_dist.worker_exe.empty())
        return refusal(Cause::Config,
                       "This program cannot start the ranks of a distributed run; use "
                       "workbench-cli or the app, or set dist.mode=off.");
    try {
        auto ranks = LocalRanks::start(m_dist.worker_exe, world, c.dist.timeout_s, &request.dist);
        request.dist.peers_report = [ranks] { return ranks->report(); };
        m_ranks[request.run_id] = std::move(ranks);
    } catch (const std::exception& e) {
        return refusal(Cause::Engine, std::string("Could not start the ranks of ") +
                                          run_label(request.run_id) + ": " + e.what());
    }
    return std::nullopt;
}

void RunService::mark_failed(int64_t id, Refusal& r, api::FailureKind kind) {
    try {
        m_store->set_status(id, api::RunStatus::Failed, r.message, kind);
    } catch (const std::exception& e) {
        r.message +=
            std::string("\n\nThe run's row could not be marked failed either: ") + e.what();
    }
}

void RunService::pause(int64_t id) {
    if (is_live(status(id))) m_engine.pause(id);
}

void RunService::resume(int64_t id) {
    if (is_live(status(id))) m_engine.resume(id);
}

void RunService::stop(int64_t id) {
    if (is_live(status(id))) m_engine.stop(id);
}

void RunService::stop_all() {
    for (int64_t id : active_runs()) m_engine.stop(id);
}

Drained RunService::drain() {
    Drained d;
    d.events = m_engine.drain();
    if (d.events.empty()) return d;
    // A continue that fails before its first step (unreadable checkpoints, missing data) must
    // not store its failure over the run's row: that row is put back as it was instead.
    std::vector<int64_t> undone;
    for (const auto& e : d.events) {
        if (e.kind != api::EventKind::Status) continue;
        const auto it = m_continuing.find(e.run_id);
        if (it == m_continuing.end()) continue;
        if (e.status == api::RunStatus::Running) {
            // Starting over: the old points go before the new ones reach the Recorder.
            if (it->second.restart) {
                try {
                    m_store->clear_history(e.run_id);
                } catch (const std::exception& err) {
                    d.sink_error = err.what();
                }
            }
            m_continuing.erase(it);
        } else if (api::is_final(e.status)) {
            undone.push_back(e.run_id);
        }
    }
    std::vector<api::RunEvent> kept;
    if (!undone.empty())
        for (const auto& e : d.events)
            if (e.kind != api::EventKind::Status ||
                std::find(undone.begin(), undone.end(), e.run_id) == undone.end())
                kept.push_back(e);
    try {
        if (m_sink) m_sink(undone.empty() ? d.events : kept);
    } catch (const std::exception& e) {
        d.sink_error += (d.sink_error.empty() ? "" : "\n") + std::string(e.what());
    }
    for (int64_t id : undone)
        if (std::string note = undo_continue(id); !note.empty()) d.notes.push_back(note);
    for (const auto& e : d.events)
        if (e.kind == api::EventKind::Status && e.status != api::RunStatus::Unset) {
            m_status[e.run_id] = e.status;
            // Its other ranks end with it (they stop at the same step, or lose rank 0).
            if (const auto it = m_ranks.find(e.run_id);
                it != m_ranks.end() && api::is_final(e.status)) {
                it->second->finish(std::chrono::seconds(5));
                m_ranks.erase(it);
            }
        }
    return d;
}

Drained RunService::wait(int64_t id) {
    m_engine.wait(id);
    return drain();
}

Drained RunService::shutdown() {
    const auto live = active_runs();
    for (int64_t id : live) m_engine.stop(id);
    for (int64_t id : live) m_engine.wait(id);
    return drain();
}

api::RunStatus RunService::status(int64_t id) const {
    const auto it = m_status.find(id);
    return it == m_status.end() ? api::RunStatus::Unset : it->second;
}

bool RunService::is_tracked_final(int64_t id) const {
    return api::is_final(status(id));
}

std::vector<int64_t> RunService::active_runs() const {
    std::vector<int64_t> ids;
    for (const auto& [id, s] : m_status)
        if (is_live(s)) ids.push_back(id);
    return ids;
}

std::optional<Refusal> RunService::rename(int64_t id, const std::string& name) {
    if (name.find_first_not_of(" \t\r\n") == std::string::npos)
        return refusal(Cause::Config, "A run's name cannot be empty; type at least one letter.");
    try {
        m_store->rename(id, name);
    } catch (const std::exception& e) {
        return refusal(Cause::Storage, "Could not rename " + run_label(id) + ": " + e.what());
    }
    return std::nullopt;
}

std::optional<Refusal> RunService::set_notes(int64_t id, const std::string& notes) {
    try {
        m_store->set_notes(id, notes);
    } catch (const std::exception& e) {
        return refusal(Cause::Storage,
                       "Could not save the notes of " + run_label(id) + ": " + e.what());
    }
    return std::nullopt;
}

std::optional<Refusal> RunService::delete_run(int64_t id) {
    StoredRun stored = stored_run(id);
    const bool live_elsewhere = is_live(stored.row.status) && !is_tracked_final(id);
    if (is_live(status(id)) || live_elsewhere)
        return refusal(Cause::State, "Run #" + std::to_string(id) +
                                         " is still training; stop it before deleting it.");
    try {
        if (!m_store->delete_run(id)) return std::nullopt;
    } catch (const std::exception& e) {
        return refusal(Cause::Storage, "Could not delete " + run_label(id) + ": " + e.what());
    }
    m_status.erase(id);
    // Only the folder named after the run: a user-chosen checkpoint path is not ours to remove.
    const std::string dir = api::run_files_dir(m_store->path(), id);
    if (const std::string cause = remove_run_files(dir); !cause.empty())
        return refusal(Cause::Checkpoint,
                       "Run #" + std::to_string(id) + " was deleted, but its checkpoint folder " +
                           dir + " could not be removed (" + cause + "); delete it by hand.");
    return std::nullopt;
}

bool RunService::set_store(storage::RunStore& store, EventSink sink) {
    if (!active_runs().empty()) return false;
    m_store = &store;
    m_sink = std::move(sink);
    m_status.clear();
    return true;
}

}  // namespace wb::service
