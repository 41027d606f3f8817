// RunEvent: what a run reports (metric points, samples, status changes, log lines, checkpoints).
// Engines append them to a buffer; the app drains it in batches for storage and the UI.
#pragma once

#include <cstdint>
#include <string>

namespace wb::api {

/// Attribute: a fact about the run learnt while it trains (name = key, payload = JSON value),
/// kept in its environment record, e.g. "fid_extractor" once FID's extractor is known.
enum class EventKind : uint8_t { Unset = 0, Metric, Sample, Status, Log, Checkpoint, Attribute };

enum class RunStatus : uint8_t {
    Unset = 0,
    Queued,
    Running,
    Paused,
    Completed,
    Stopped,
    Failed,
    Interrupted
};

const char* to_string(RunStatus s);
/// Unset when `s` names no status.
RunStatus status_from_string(const std::string& s);
/// Completed, Stopped, Failed, Interrupted: the run's thread is gone.
bool is_final(RunStatus s);

/// Why a run failed, so that callers can react (the CLI maps Data to exit code 3).
enum class FailureKind : uint8_t {
    Unset = 0,
    Config,
    Data,
    OutOfMemory,
    NonFinite,
    Checkpoint,
    Other
};
const char* to_string(FailureKind k);
/// Unset when `s` names no failure kind (an empty string included).
FailureKind failure_from_string(const std::string& s);

/// Stable sample kinds.
inline constexpr const char* kSamplePng = "image/png";
inline constexpr const char* kSampleText = "text/plain";
/// JSON {"generated": [[x,y],...], "real": [[x,y],...], "modes": [[x,y],...], "std": s}
inline constexpr const char* kSamplePoints = "points/2d";

struct RunEvent {
    EventKind kind = EventKind::Unset;
    int64_t run_id = 0;
    int64_t step = 0;
    double wall_s = 0;  ///< seconds since the run (first) started, excluding paused time
    /// Metric: its name ("loss/g"). Sample: its kind (kSamplePng...). Log: the level
    /// ("info", "warning", "error"). Attribute: its key.
    std::string name;
    double value = 0;     ///< Metric value
    std::string payload;  ///< Sample bytes, log text, status message, checkpoint path, JSON
    RunStatus status = RunStatus::Unset;
    FailureKind failure = FailureKind::Unset;  ///< Status: why, when Failed

    static RunEvent metric(int64_t run, int64_t step, double wall_s, std::string name, double v);
    static RunEvent sample(int64_t run, int64_t step, double wall_s, std::string kind,
                           std::string bytes);
    static RunEvent status_change(int64_t run, int64_t step, double wall_s, RunStatus s,
                                  std::string message = {}, FailureKind why = FailureKind::Unset);
    static RunEvent log(int64_t run, int64_t step, double wall_s, std::string level,
                        std::string text);
    static RunEvent checkpoint(int64_t run, int64_t step, double wall_s, std::string path);
    static RunEvent attribute(int64_t run, int64_t step, double wall_s, std::string key,
                              std::string json);
};

}  // namespace wb::api
