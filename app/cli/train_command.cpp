// The foreground training loop of the CLI: the run service starts or continues the run and
// drains it every 100 ms into the Recorder; this file draws progress and prints the outcome.
#include "app/cli/train_command.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/cli/config_input.h"
#include "app/cli/dist_worker.h"
#include "app/cli/progress_line.h"
#include "app/cli/terminal_text.h"
#include "engine/api/dist_env.h"
#include "engine/api/energy_info.h"
#include "engine/api/paths.h"
#include "engine/api/preflight.h"
#include "engine/api/presets.h"
#include "engine/service/run_service.h"
#include "engine/torch_engine.h"
#include "storage/recorder.h"
#include "storage/run_store.h"

namespace wb::cli {
namespace {

volatile std::sig_atomic_t g_interrupts = 0;

void on_signal(int) {
    if (++g_interrupts >= 3) std::_Exit(kExitInterrupted);  // a stuck stop must stay escapable
}

struct Outcome {
    api::RunStatus status = api::RunStatus::Unset;
    api::FailureKind failure = api::FailureKind::Unset;
    std::string message;
    int64_t step = 0;
    double wall_s = 0;
    std::map<std::string, double> metrics;
    std::string energy_source;  ///< the "energy" record's label
    std::vector<std::string> notes;
};

// Reads what matters to the terminal out of a batch before the Recorder takes it.
void observe(const service::Drained& drained, int64_t id, Outcome* out, ProgressLine* bar) {
    for (const auto& note : drained.notes) out->notes.push_back(note);
    for (const auto& e : drained.events) {
        if (e.run_id != id) continue;
        out->step = std::max(out->step, e.step);
        out->wall_s = std::max(out->wall_s, e.wall_s);
        switch (e.kind) {
            case api::EventKind::Metric:
                out->metrics[e.name] = e.value;
                break;
            case api::EventKind::Status:
                out->status = e.status;
                if (e.status == api::RunStatus::Failed) {
                    out->failure = e.failure;
                    out->message = e.payload;
                }
                break;
            case api::EventKind::Attribute:
                if (e.name == "energy")
                    if (const auto info = api::energy_record_info(e.payload))
                        out->energy_source = info->label;
                break;
            case api::EventKind::Log:
                // A failure's own log line repeats the message printed once at the end.
                if (e.name == "info" || (e.name == "error" && e.payload == out->message)) break;
                bar->finish();
                std::fprintf(stderr, "%s: %s\n", printable(e.name).c_str(),
                             printable(e.payload, true).c_str());
                break;
            default:
                break;
        }
    }
}

std::string headline(const Outcome& o) {
    for (const char* key : {"loss/g", "loss/train", "loss/d"}) {
        auto it = o.metrics.find(key);
        if (it != o.metrics.end()) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%s %.4g", key, it->second);
            return buf;
        }
    }
    return {};
}

// Says once per spell of failed commits that events are held, not lost.
void warn_when_held(const storage::Recorder& recorder, bool* told, ProgressLine* bar) {
    const storage::RecorderStats stats = recorder.stats();
    if (stats.held == 0 || stats.retries == 0) {
        *told = false;
        return;
    }
    if (*told) return;
    *told = true;
    bar->finish();
    std::fprintf(stderr,
                 "warning: the database cannot be written now; holding %llu events and trying "
                 "again: %s\n",
                 static_cast<unsigned long long>(stats.held), recorder.retry_error().c_str());
}

// A lock passes by itself, so it is waited out (up to RecorderOptions::retry_for_ms); a full or
// failing disk needs the user, who gets this long to free space before the run stops.
constexpr auto kDiskWait = std::chrono::seconds(30);

// True once the Recorder has held events for kDiskWait for a cause that needs the user (a full
// or failing disk, not a lock): training on would only add rows that cannot be stored.
bool stuck_on_disk(const storage::Recorder& recorder,
                   std::optional<std::chrono::steady_clock::time_point>* since) {
    const auto now = std::chrono::steady_clock::now();
    if (recorder.stats().held == 0 || recorder.held_for_lock()) {
        since->reset();
        return false;
    }
    if (!*since) *since = now;
    return now - **since >= kDiskWait;
}

// Waits until the Recorder has stored (or given up on) everything, saying why when it takes long.
// Events held for a full or failing disk are given up after kDiskWait, and the run ends in an
// error that says how to continue it.
void finish_recording(storage::Recorder& recorder, bool* told, ProgressLine* bar) {
    bool waiting_told = false;
    const auto start = std::chrono::steady_clock::now();
    while (!recorder.flush_for(std::chrono::seconds(2))) {
        warn_when_held(recorder, told, bar);
        if (!recorder.held_for_lock() && std::chrono::steady_clock::now() - start >= kDiskWait) {
            std::fprintf(stderr, "giving up on the events still held after %lld s\n",
                         static_cast<long long>(kDiskWait.count()));
            recorder.abandon();
            return;
        }
        if (waiting_told) continue;
        waiting_told = true;
        std::fprintf(stderr, "waiting to store the run's last events (Ctrl-C 3x to quit)\n");
    }
}

// The run an earlier attempt of this torchrun job started (its newest), or 0: torchrun restarts
// every worker with the same command after one fails, and the restarted rank 0 continues that
// run from its last checkpoint instead of starting a second one.
int64_t elastic_run(const storage::RunStore& store, const std::string& job) {
    if (job.empty()) return 0;
    int64_t newest = 0;
    for (const auto& row : store.list_runs()) {
        const auto env = nlohmann::json::parse(row.env_json, nullptr, false);
        if (env.is_object() && env.contains("dist") && env["dist"].is_object() &&
            env["dist"].value("job", std::string()) == job)
            newest = std::max(newest, row.id);
    }
    return newest;
}

}  // namespace

// This program's own path, so that the ranks it starts run the same build.
std::string self_executable() {
    std::error_code ec;
    const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : p.string();
}

// Config refusals keep the CLI's list format; every other refusal is one message.
int refused(const service::Refusal& r) {
    if (r.cause == service::Refusal::Cause::Config && !r.problems.empty())
        print_config_errors(r.problems);
    else
        std::fprintf(stderr, "error: %s\n", r.message.c_str());
    return service::exit_code(r);
}

// The settings a `run` asks for: a preset or a config file, then the --set overrides.
bool new_run_config(const TrainOptions& opt, api::RunConfig* config, std::string* name,
                    std::vector<api::ConfigError>* errors) {
    if (opt.preset.empty() == opt.config_file.empty()) {
        std::fprintf(stderr,
                     "error: give exactly one of --preset NAME|FILE.json or --config FILE "
                     "(see `workbench-cli presets`)\n");
        return false;
    }
    if (!opt.preset.empty()) {
        std::string why;
        const auto p = api::resolve_preset(opt.preset, &why);
        if (!p) {
            std::fprintf(stderr, "error: %s\n", why.c_str());
            return false;
        }
        *config = p->config;
        if (name->empty()) *name = p->name;
    } else if (name->empty()) {
        *name = std::filesystem::path(opt.config_file).stem().string();
    }
    *config = apply_overrides(*config, opt.config_file, opt.sets, errors);
    return true;
}

int run_command(const TrainOptions& in) {
    TrainOptions opt = in;
    // Under torchrun or srun: rank 0 owns the run, every other rank trains as a worker.
    api::DistJoin external;
    try {
        external = api::join_from_environment();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return kExitBadConfig;
    }
    if (external.active() && external.rank > 0) return dist_worker_command(external);
    std::unique_ptr<storage::RunStore> store;
    std::unique_ptr<storage::Recorder> recorder;
    std::unique_ptr<api::Engine> engine;
    try {
        store = std::make_unique<storage::RunStore>(opt.db);
        recorder = std::make_unique<storage::Recorder>(store->path());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return kExitFailure;
    }
    try {
        engine = engine::make_torch_engine();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: the training engine could not start: %s\n", e.what());
        return kExitFailure;
    }
    service::RunService runs(*engine, *store, [&recorder](const std::vector<api::RunEvent>& ev) {
        recorder->record(ev);
    });
    runs.set_dist_launch({external, self_executable()});
    bool elastic = false;
    if (external.restart > 0 && opt.resume_id == 0) {
        try {
            opt.resume_id = elastic_run(*store, external.job);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "error: %s\n", e.what());
            return kExitFailure;
        }
        elastic = opt.resume_id > 0;
        if (elastic)
            std::fprintf(stderr,
                         "torchrun restarted the workers (attempt %d): continuing run %lld from "
                         "its last checkpoint (from step 0 if it has none)\n",
                         external.restart + 1, static_cast<long long>(opt.resume_id));
    }

    std::vector<api::ConfigError> errors;
    api::RunConfig config;
    std::string name = opt.name;
    if (opt.resume_id > 0) {
        service::StoredRun stored = runs.stored_run(opt.resume_id);
        if (!stored.ok()) return refused(*stored.refusal);
        config = apply_overrides(stored.config, {}, opt.sets, &errors);
    } else if (!new_run_config(opt, &config, &name, &errors)) {
        return kExitBadConfig;
    }
    if (!errors.empty()) {
        // A bad --set and an out-of-range value are reported together, not one run at a time.
        auto problems = config.validate();
        errors.insert(errors.end(), problems.begin(), problems.end());
        print_config_errors(errors);
        return kExitBadConfig;
    }
    // Before the row exists, so that a typo in a path never becomes a failed run.
    if (const auto missing = api::data_path_problems(config); !missing.empty()) {
        print_config_errors(missing);
        return kExitDataProblem;
    }
    if (external.active()) config.dist.world_size = external.world;  // torchrun's, recorded
    if (external.active() && !config.dist.distributed()) {
        std::fprintf(
            stderr,
            "error: dist.mode: started as rank 0 of %d (torchrun or srun), but dist.mode "
            "is %s; add --set dist.mode=data (or pipeline, hybrid), or start one process\n",
            external.world, config.dist.mode.c_str());
        return kExitBadConfig;
    }
    for (const auto& w : api::config_warnings(config))
        std::fprintf(stderr, "warning: %s: %s\n", w.path.c_str(), w.message.c_str());

    service::ContinueOptions continuing;
    // A torchrun attempt that failed before its first checkpoint starts over, as torchrun means.
    // So does a queued run whose worker died before its first checkpoint: the scheduler starts
    // it again, and there is nothing else to continue from.
    continuing.restart_without_checkpoint = opt.restart || elastic || opt.from_queue;
    const service::Started started = opt.resume_id > 0
                                         ? runs.continue_run(opt.resume_id, config, continuing)
                                         : runs.start(config, name);
    if (!started.ok()) return refused(*started.refusal);
    const int64_t id = started.run_id;
    name = started.name;
    std::fprintf(stderr, "%s run %lld (%s), %lld steps, database %s\n",
                 opt.from_queue      ? "starting queued"
                 : opt.resume_id > 0 ? "resuming"
                                     : "started",
                 static_cast<long long>(id), printable(name).c_str(),
                 static_cast<long long>(config.train.steps), printable(store->path()).c_str());
    for (const auto& w : started.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    if (!opt.json) std::printf("%lld\n", static_cast<long long>(id));
    std::fflush(stdout);

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    Outcome outcome;
    ProgressLine bar;
    bool stop_sent = false;
    bool held_told = false;
    std::optional<std::chrono::steady_clock::time_point> stuck_since;
    while (!api::is_final(outcome.status)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (g_interrupts > 0 && !stop_sent) {
            bar.finish();
            std::fprintf(stderr, "stopping: writing a checkpoint (Ctrl-C twice more to abort)\n");
            runs.stop(id);
            stop_sent = true;
        }
        if (!stop_sent && stuck_on_disk(*recorder, &stuck_since)) {
            bar.finish();
            std::fprintf(stderr,
                         "stopping: the database could not be written for %lld s, so the run "
                         "stops at a checkpoint instead of training on without a history: %s\n",
                         static_cast<long long>(kDiskWait.count()),
                         recorder->retry_error().c_str());
            runs.stop(id);
            stop_sent = true;
        }
        observe(runs.drain(), id, &outcome, &bar);
        warn_when_held(*recorder, &held_told, &bar);
        bar.update(outcome.step, config.train.steps, outcome.wall_s, headline(outcome));
    }
    observe(runs.wait(id), id, &outcome, &bar);
    bar.finish();
    finish_recording(*recorder, &held_told, &bar);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);

    if (!outcome.message.empty())
        std::fprintf(stderr, "error: %s\n", printable(outcome.message, true).c_str());
    for (const auto& note : outcome.notes)
        std::fprintf(stderr, "note: %s\n", printable(note, true).c_str());
    // A run whose history misses rows did not succeed, whatever its last status says.
    const uint64_t lost = recorder->stats().dropped;
    if (lost > 0)
        std::fprintf(stderr,
                     "error: %llu events of run %lld were not recorded: %s\nOnce the database "
                     "can be written again, `workbench-cli resume %lld` continues the run from "
                     "its last checkpoint that the stored history reaches.\n",
                     static_cast<unsigned long long>(lost), static_cast<long long>(id),
                     recorder->last_error().c_str(), static_cast<long long>(id));

    std::string energy;
    if (const auto it = outcome.metrics.find("energy/joules"); it != outcome.metrics.end()) {
        char buf[48];
        std::snprintf(buf, sizeof buf, ", %.4g J", it->second);
        energy = buf + (outcome.energy_source.empty() ? "" : " (" + outcome.energy_source + ")");
    }

    std::fprintf(stderr, "run %lld %s at step %lld after %s%s%s\n", static_cast<long long>(id),
                 api::to_string(outcome.status), static_cast<long long>(outcome.step),
                 format_duration(outcome.wall_s).c_str(), energy.c_str(),
                 lost > 0 ? ", but its stored history is incomplete (see above)" : "");
    if (opt.json) {
        nlohmann::json j = {{"id", id},
                            {"name", name},
                            {"status", api::to_string(outcome.status)},
                            {"steps", outcome.step},
                            {"wall_s", outcome.wall_s},
                            {"metrics", outcome.metrics},
                            {"db", store->path()}};
        if (!outcome.message.empty()) j["error"] = outcome.message;
        if (lost > 0) j["unrecorded_events"] = lost;
        std::printf("%s\n", json_text(j, 2).c_str());
    }
    const ExitCode code = service::exit_code(outcome.status, outcome.failure);
    return lost > 0 ? kExitFailure : code;  // a run whose rows were lost did not succeed
}

}  // namespace wb::cli
