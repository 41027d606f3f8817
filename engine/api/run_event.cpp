// RunEvent constructors and the status/failure names stored in the database.
#include "engine/api/run_event.h"

#include <utility>

namespace wb::api {

const char* to_string(RunStatus s) {
    switch (s) {
        case RunStatus::Queued:
            return "queued";
        case RunStatus::Running:
            return "running";
        case RunStatus::Paused:
            return "paused";
        case RunStatus::Completed:
            return "completed";
        case RunStatus::Stopped:
            return "stopped";
        case RunStatus::Failed:
            return "failed";
        case RunStatus::Interrupted:
            return "interrupted";
        case RunStatus::Unset:
            break;
    }
    return "unset";
}

RunStatus status_from_string(const std::string& s) {
    for (auto st : {RunStatus::Queued, RunStatus::Running, RunStatus::Paused, RunStatus::Completed,
                    RunStatus::Stopped, RunStatus::Failed, RunStatus::Interrupted})
        if (s == to_string(st)) return st;
    return RunStatus::Unset;
}

bool is_final(RunStatus s) {
    return s == RunStatus::Completed || s == RunStatus::Stopped || s == RunStatus::Failed ||
           s == RunStatus::Interrupted;
}

const char* to_string(FailureKind k) {
    switch (k) {
        case FailureKind::Config:
            return "config";
        case FailureKind::Data:
            return "data";
        case FailureKind::OutOfMemory:
            return "out_of_memory";
        case FailureKind::NonFinite:
            return "non_finite";
        case FailureKind::Checkpoint:
            return "checkpoint";
        case FailureKind::Other:
            return "other";
        case FailureKind::Unset:
            break;
    }
    return "";
}

RunEvent RunEvent::metric(int64_t run, int64_t step, double wall_s, std::string name, double v) {
    RunEvent e;
    e.kind = EventKind::Metric;
    e.run_id = run;
    e.step = step;
    e.wall_s = wall_s;
    e.name = std::move(name);
    e.value = v;
    return e;
}

RunEvent RunEvent::sample(int64_t run, int64_t step, double wall_s, std::string kind,
                          std::string bytes) {
    RunEvent e;
    e.kind = EventKind::Sample;
    e.run_id = run;
    e.step = step;
    e.wall_s = wall_s;
    e.name = std::move(kind);
    e.payload = std::move(bytes);
    return e;
}

RunEvent RunEvent::status_change(int64_t run, int64_t step, double wall_s, RunStatus s,
                                 std::string message, FailureKind why) {
    RunEvent e;
    e.kind = EventKind::Status;
    e.run_id = run;
    e.step = step;
    e.wall_s = wall_s;
    e.status = s;
    e.name = to_string(why);
    e.payload = std::move(message);
    return e;
}

RunEvent RunEvent::log(int64_t run, int64_t step, double wall_s, std::string level,
                       std::string text) {
    RunEvent e;
    e.kind = EventKind::Log;
    e.run_id = run;
    e.step = step;
    e.wall_s = wall_s;
    e.name = std::move(level);
    e.payload = std::move(text);
    return e;
}

RunEvent RunEvent::checkpoint(int64_t run, int64_t step, double wall_s, std::string path) {
    RunEvent e;
    e.kind = EventKind::Checkpoint;
    e.run_id = run;
    e.step = step;
    e.wall_s = wall_s;
    e.payload = std::move(path);
    return e;
}

}  // namespace wb::api
