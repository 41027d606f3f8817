// Continuing a stored run: the checks that keep a continue from harming the run's history (the
// architecture stays, no silent start from step 0, one process at a time), the claim in the
// database, and undoing a continue that failed before its first step.
#include <exception>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "engine/api/memory_estimate.h"
#include "engine/api/paths.h"
#include "engine/service/refusal_text.h"
#include "engine/service/run_files.h"
#include "engine/service/run_service.h"
#include "storage/run_store.h"

namespace wb::service {
namespace {

using Cause = Refusal::Cause;
using detail::config_refusal;
using detail::is_live;
using detail::refusal;
using detail::run_label;

// model.* fields that shape the networks, so a checkpoint holds weights for exactly them.
// Dropout only changes what training does with the same weights.
std::vector<api::ConfigError> architecture_changes(const api::RunConfig& trained,
                                                   const api::RunConfig& next) {
    const nlohmann::json before = trained.to_json()["model"], after = next.to_json()["model"];
    std::vector<api::ConfigError> changes;
    for (const auto& [key, value] : before.items()) {
        if (key == "dropout" || !after.contains(key) || after[key] == value) continue;
        changes.push_back({"model." + key, "the run was trained with " + value.dump() + ", so " +
                                               after[key].dump() +
                                               " cannot load its checkpoints; a continued run "
                                               "keeps its model (start a new run to change it)"});
    }
    return changes;
}

std::string holder_text(const storage::ProcessOwner& holder) {
    if (holder.pid <= 0) return "another process";
    return "process " + std::to_string(holder.pid) +
           (holder.host.empty() ? std::string() : " on " + holder.host);
}

}  // namespace

Started RunService::continue_run(int64_t id, const api::RunConfig& config,
                                 const ContinueOptions& options) {
    Started s;
    s.run_id = id;
    s.config = config;
    if (is_live(status(id))) {
        s.refusal = refusal(Cause::Busy,
                            "Run #" + std::to_string(id) + " is still training; stop it first.");
        return s;
    }
    StoredRun stored = stored_run(id);
    // No row: an unknown id or an unreadable database. Damaged settings do not matter here,
    // `config` replaces them.
    if (stored.row.id == 0) {
        s.refusal = std::move(stored.refusal);
        return s;
    }
    const storage::RunRow& row = stored.row;
    // A run this service saw end may still read as live until the Recorder commits its status.
    // A run waiting in the queue is queued with no owner: the worker the scheduler started for
    // it continues it from here like any stopped run.
    if (is_live(row.status) && !row.waiting && !is_tracked_final(id)) {
        s.refusal = refusal(Cause::Busy, "Run " + std::to_string(id) + " is still " +
                                             api::to_string(row.status) +
                                             " in another process; stop it there first.");
        return s;
    }
    auto problems = config.validate();
    if (problems.empty()) problems = api::memory_problems(config, api::usable_memory_bytes());
    if (!problems.empty()) {
        s.refusal =
            config_refusal("Run #" + std::to_string(id) + " cannot continue", std::move(problems));
        return s;
    }
    if (stored.ok())
        if (auto changes = architecture_changes(stored.config, config); !changes.empty()) {
            s.refusal = config_refusal("Run #" + std::to_string(id) + " cannot continue",
                                       std::move(changes));
            return s;
        }
    api::StartRequest request;
    if ((s.refusal = find_teacher(config, id, &request.teacher))) return s;
    s.name = row.name;
    s.checkpoint_dir = api::checkpoint_dir_of(m_store->path(), id, row.checkpoint_dir);
    // Starting again from step 0 would write over every stored point: only when asked.
    const auto files = api::list_checkpoint_files(s.checkpoint_dir);  // newest first
    const bool all_ahead =
        !files.empty() &&
        api::checkpoint_step(std::filesystem::path(files.back()).filename().string()) >
            row.steps_done;
    const bool restart =
        row.steps_done > 0 && (files.empty() || (all_ahead && options.restart_without_checkpoint));
    if (restart && !options.restart_without_checkpoint) {
        s.refusal = refusal(
            Cause::Checkpoint,
            "Run #" + std::to_string(id) + " has no checkpoint left in " + s.checkpoint_dir +
                " (was the folder removed?), so it cannot continue from step " +
                std::to_string(row.steps_done) +
                ". Starting it over from step 0 would replace its stored metrics and samples: "
                "allow that explicitly (workbench-cli resume " +
                std::to_string(id) + " --restart), or start a new run with its settings.");
        return s;
    }
    storage::Claim claim;
    try {
        claim = m_store->claim_run(id, is_tracked_final(id));
    } catch (const std::exception& e) {
        s.refusal = refusal(Cause::Storage, "Could not claim " + run_label(id) + ": " + e.what());
        return s;
    }
    if (!claim.claimed) {
        s.refusal = refusal(Cause::Busy, "Run #" + std::to_string(id) + " was just taken by " +
                                             holder_text(claim.holder) +
                                             ", which continues it now; wait for it to end or "
                                             "stop it there.");
        return s;
    }
    try {
        m_store->update_config(id, config.to_json().dump(), config.train.steps);
        if (s.checkpoint_dir != row.checkpoint_dir)
            m_store->set_checkpoint_dir(id, s.checkpoint_dir);
    } catch (const std::exception& e) {
        s.refusal = refusal(Cause::Storage, "Could not record the new settings of " +
                                                run_label(id) + ": " + e.what());
    }
    if (!s.refusal) {
        // Claimed: nobody else writes the folder now.
        if (restart) {
            remove_checkpoint_files(s.checkpoint_dir);
        } else {
            const DroppedAhead dropped =
                drop_checkpoints_ahead_of(s.checkpoint_dir, row.steps_done);
            if (dropped.gap_to > 0) s.warnings.push_back(gap_warning(row, dropped));
        }
        request.run_id = id;
        request.config = config;
        request.checkpoint_dir = s.checkpoint_dir;
        // Nothing to resume from yet (a queued run's first start): a plain start.
        request.resume = !(row.waiting && row.steps_done == 0 && files.empty());
        s.refusal = launch(request, "continue");
    }
    if (s.refusal) {
        // The run did not continue: its row keeps the status and settings it had.
        try {
            m_store->release_claim(claim.before);
        } catch (const std::exception& e) {
            s.refusal->message +=
                std::string("\n\nThe run's row could not be put back either: ") + e.what();
        }
        return s;
    }
    m_continuing[id] = Continuing{claim.before, restart};
    return s;
}

std::string RunService::gap_warning(const storage::RunRow& row, const DroppedAhead& d) {
    const std::string text =
        "the stored history of run " + std::to_string(row.id) + " ends at step " +
        std::to_string(row.steps_done) + ", but its oldest checkpoint is at step " +
        std::to_string(d.gap_to) + " (the database could not be written while those steps " +
        "trained), so steps " + std::to_string(d.gap_from) + "-" + std::to_string(d.gap_to) +
        " have no stored metrics (for a whole history, start a new run with its settings)";
    if (m_sink) m_sink({api::RunEvent::log(row.id, row.steps_done, row.wall_s, "warning", text)});
    return text;
}

std::string RunService::undo_continue(int64_t id) {
    const auto it = m_continuing.find(id);
    if (it == m_continuing.end()) return {};
    const storage::RunRow before = it->second.before;
    m_continuing.erase(it);
    try {
        m_store->release_claim(before);
    } catch (const std::exception& e) {
        return "Run " + std::to_string(id) + " did not continue, and its row could not be put " +
               "back either: " + e.what();
    }
    return "Run " + std::to_string(id) + " did not continue; it was left as it was (" +
           api::to_string(before.status) + " at step " + std::to_string(before.steps_done) +
           ", with its earlier settings).";
}

}  // namespace wb::service
