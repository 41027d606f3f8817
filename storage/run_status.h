// The one definition of what a status change does to a run row (timestamps, owner, error),
// shared by RunStore::set_status and the Recorder so both paths agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/api/run_event.h"

namespace wb::storage {

class Connection;

struct StatusChange {
    int64_t run_id = 0;
    api::RunStatus status = api::RunStatus::Unset;
    std::string message;                      ///< stored as the error when status is Failed
    std::optional<api::FailureKind> failure;  ///< kind when Failed; nullopt keeps the old one
    double at_s = 0;                          ///< unix seconds of the change
};

/// Running sets started_at once and clears ended_at; a final status sets ended_at; queued,
/// running and paused claim the run for this process; queued and running clear the last error.
/// Returns false when no run has that id.
bool apply_status(Connection& db, const StatusChange& change);

}  // namespace wb::storage
