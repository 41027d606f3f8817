// Plain rows the storage layer hands to the CLI and the UI: runs, metric points, samples, logs.
// Times are unix seconds (0 = not yet); wall_s is training time as the engine reports it.
#pragma once

#include <cstdint>
#include <string>

#include "engine/api/run_event.h"

namespace wb::storage {

struct RunRow {
    int64_t id = 0;
    std::string name;
    /// Unset when the stored text names no status (a file written by a newer version).
    api::RunStatus status = api::RunStatus::Unset;
    std::string model;
    std::string config_json;
    std::string env_json;
    std::string notes;
    std::string error;  ///< failure message
    api::FailureKind failure = api::FailureKind::Unset;
    std::string checkpoint_dir;
    int64_t steps_done = 0;
    int64_t total_steps = 0;
    double created_at = 0;
    double started_at = 0;
    double ended_at = 0;
    double wall_s = 0;  ///< largest wall_s seen in its events
    /// Queued in the run queue with no owner: the scheduler starts it (storage/queue_rows.h).
    bool waiting = false;
};

struct MetricPoint {
    int64_t step = 0;
    double wall_s = 0;
    double value = 0;  ///< NaN stays NaN
};

struct SampleRow {
    int64_t id = 0;
    int64_t run_id = 0;
    int64_t step = 0;
    double wall_s = 0;
    std::string kind;  ///< api::kSamplePng, kSampleText, kSamplePoints
    std::string data;  ///< raw bytes
};

struct LogRow {
    int64_t step = 0;
    double wall_s = 0;
    std::string level;
    std::string text;
};

struct CheckpointRow {
    int64_t step = 0;
    std::string path;
};

}  // namespace wb::storage
