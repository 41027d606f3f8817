// The column list of a run row and its reader, shared by the files that implement RunStore.
// Internal to the storage layer.
#pragma once

#include "storage/connection.h"
#include "storage/run_rows.h"

namespace wb::storage {

inline constexpr const char* kRunColumns =
    "SELECT id, name, status, model, config_json, env_json, notes, error, failure, "
    "checkpoint_dir, steps_done, total_steps, created_at, started_at, ended_at, wall_s FROM runs ";

/// The row a query over kRunColumns stands on.
RunRow read_run(const Query& q);

}  // namespace wb::storage
