// The column list of a run row and its reader, shared by the files that implement RunStore.
// Internal to the storage layer.
#pragma once

#include "storage/connection.h"
#include "storage/run_rows.h"

namespace wb::storage {

inline constexpr const char* kRunColumns =
    "SELECT id, name, status, model, config_json, env_json, notes, error, failure, "
    "checkpoint_dir, steps_done, total_steps, created_at, started_at, ended_at, wall_s, "
    "(status = 'queued' AND owner_host = '' AND id IN (SELECT run_id FROM queue)) FROM runs ";

/// The rows that wait in the run queue, which no open may mark interrupted (see queue_rows.h).
inline constexpr const char* kWaitingInQueue =
    "(status = 'queued' AND owner_host = '' AND id IN (SELECT run_id FROM queue))";

/// The row a query over kRunColumns stands on.
RunRow read_run(const Query& q);

}  // namespace wb::storage
