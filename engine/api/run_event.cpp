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

FailureKind failure_from_string(const std::string& s) {
    for (auto k : {FailureKind::Config, FailureKind::Data, FailureKind::OutOfMemory,
                   FailureKind::NonFinite, FailureKind::Checkpoint, FailureKind::Other})
        if (s == to_string(k)) return k;
    return FailureKind::Unset;
}

namespace {

// Every event kind uses the same header fields plus a name and a payload.
RunEvent make_event(EventKind kind, int64_t run, int64_t step, double wall_s, std::string name,
                    std::string payload) {
    RunEvent e;
    e.kind = kind;
    e.run_id = run;
    e.step = step;
    e.wall_s = wall_s;
    e.name = std::move(name);
    e.payload = std::move(payload);
    return e;
}

}  // namespace

RunEvent RunEvent::metric(int64_t run, int64_t step, double wall_s, std::string name, double v) {
    RunEvent e = make_event(EventKind::Metric, run, step, wall_s, std::move(name), {});
    e.value = v;
    return e;
}

RunEvent RunEvent::sample(int64_t run, int64_t step, double wall_s, std::string kind,
                          std::string bytes) {
    return make_event(EventKind::Sample, run, step, wall_s, std::move(kind), std::move(bytes));
}

RunEvent RunEvent::status_change(int64_t run, int64_t step, double wall_s, RunStatus s,
                                 std::string message, FailureKind why) {
    RunEvent e = make_event(EventKind::Status, run, step, wall_s, {}, std::move(message));
    e.status = s;
    e.failure = why;
    return e;
}

RunEvent RunEvent::log(int64_t run, int64_t step, double wall_s, std::string level,
                       std::string text) {
    return make_event(EventKind::Log, run, step, wall_s, std::move(level), std::move(text));
}

RunEvent RunEvent::checkpoint(int64_t run, int64_t step, double wall_s, std::string path) {
    return make_event(EventKind::Checkpoint, run, step, wall_s, {}, std::move(path));
}

RunEvent RunEvent::attribute(int64_t run, int64_t step, double wall_s, std::string key,
                             std::string json) {
    return make_event(EventKind::Attribute, run, step, wall_s, std::move(key), std::move(json));
}

}  // namespace wb::api
