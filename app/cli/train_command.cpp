// The foreground training loop of the CLI: it drains the engine every 100 ms, hands each batch
// to the Recorder, draws progress, and turns the run's final status into an exit code.
#include "app/cli/train_command.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/cli/config_input.h"
#include "app/cli/progress_line.h"
#include "engine/api/paths.h"
#include "engine/api/preflight.h"
#include "engine/api/presets.h"
#include "engine/torch_engine.h"
#include "storage/recorder.h"
#include "storage/run_store.h"
#include "storage/storage_error.h"

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
};

api::FailureKind failure_from(const std::string& name) {
    for (auto k :
         {api::FailureKind::Config, api::FailureKind::Data, api::FailureKind::OutOfMemory,
          api::FailureKind::NonFinite, api::FailureKind::Checkpoint, api::FailureKind::Other})
        if (name == api::to_string(k)) return k;
    return api::FailureKind::Unset;
}

// Reads what matters to the terminal out of a batch before the Recorder takes it.
void observe(const std::vector<api::RunEvent>& events, int64_t id, Outcome* out,
             ProgressLine* bar) {
    for (const auto& e : events) {
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
                    out->failure = failure_from(e.name);
                    out->message = e.payload;
                }
                break;
            case api::EventKind::Log:
                if (e.name != "info") {
                    bar->finish();
                    std::fprintf(stderr, "%s: %s\n", e.name.c_str(), e.payload.c_str());
                }
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

int exit_code(const Outcome& o) {
    switch (o.status) {
        case api::RunStatus::Completed:
            return kExitOk;
        case api::RunStatus::Stopped:
            return kExitInterrupted;
        case api::RunStatus::Failed:
            if (o.failure == api::FailureKind::Data) return kExitDataProblem;
            if (o.failure == api::FailureKind::Config) return kExitBadConfig;
            return kExitFailure;
        default:
            return kExitFailure;
    }
}

}  // namespace

int run_command(const TrainOptions& opt) {
    std::vector<api::ConfigError> errors;
    api::RunConfig config;
    std::string name = opt.name;
    std::unique_ptr<storage::RunStore> store;
    try {
        store = std::make_unique<storage::RunStore>(opt.db);
    } catch (const storage::StorageError& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return kExitFailure;
    }

    std::optional<storage::RunRow> existing;
    if (opt.resume_id > 0) {
        existing = store->get_run(opt.resume_id);
        if (!existing) {
            std::fprintf(stderr, "error: no run %lld in %s (see `workbench-cli runs`)\n",
                         static_cast<long long>(opt.resume_id), store->path().c_str());
            return kExitFailure;
        }
        if (existing->status == "running" || existing->status == "paused") {
            std::fprintf(stderr,
                         "error: run %lld is still %s in another process; stop it there first\n",
                         static_cast<long long>(opt.resume_id), existing->status.c_str());
            return kExitFailure;
        }
        config = api::RunConfig::from_json(nlohmann::json::parse(existing->config_json), &errors);
        config = apply_overrides(config, {}, opt.sets, &errors);
    } else {
        if (opt.preset.empty() == opt.config_file.empty()) {
            std::fprintf(stderr,
                         "error: give exactly one of --preset NAME or --config FILE "
                         "(see `workbench-cli presets`)\n");
            return kExitBadConfig;
        }
        if (!opt.preset.empty()) {
            const api::Preset* p = api::find_preset(opt.preset);
            if (!p) {
                std::fprintf(stderr, "error: no preset '%s' (see `workbench-cli presets`)\n",
                             opt.preset.c_str());
                return kExitBadConfig;
            }
            config = p->config;
            if (name.empty()) name = p->name;
        } else if (name.empty()) {
            name = std::filesystem::path(opt.config_file).stem().string();
        }
        config = apply_overrides(config, opt.config_file, opt.sets, &errors);
    }
    auto problems = config.validate();
    errors.insert(errors.end(), problems.begin(), problems.end());
    if (!errors.empty()) {
        print_config_errors(errors);
        return kExitBadConfig;
    }
    // Before the row exists, so that a typo in a path never becomes a failed run.
    if (const auto missing = api::data_path_problems(config); !missing.empty()) {
        print_config_errors(missing);
        return kExitDataProblem;
    }
    for (const auto& w : api::config_warnings(config))
        std::fprintf(stderr, "warning: %s: %s\n", w.path.c_str(), w.message.c_str());

    auto engine = engine::make_torch_engine();
    int64_t id = opt.resume_id;
    std::string checkpoint_dir;
    try {
        if (existing) {
            store->update_config(id, config.to_json().dump(), config.train.steps);
            checkpoint_dir = existing->checkpoint_dir;
            name = existing->name;
        } else {
            id = store->create_run(name, config.model.kind, config.to_json().dump(),
                                   engine->environment_json(), config.train.steps, "");
            checkpoint_dir = api::run_files_dir(store->path(), id);
            store->set_checkpoint_dir(id, checkpoint_dir);
        }
    } catch (const storage::StorageError& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return kExitFailure;
    }

    storage::Recorder recorder(store->path());
    api::StartRequest request{id, config, checkpoint_dir, existing.has_value()};
    if (auto start_errors = engine->start(request); !start_errors.empty()) {
        print_config_errors(start_errors);
        store->set_status(id, "failed", api::format_errors(start_errors));
        return kExitBadConfig;
    }
    std::fprintf(stderr, "%s run %lld (%s), %lld steps, database %s\n",
                 existing ? "resuming" : "started", static_cast<long long>(id), name.c_str(),
                 static_cast<long long>(config.train.steps), store->path().c_str());
    if (!opt.json) std::printf("%lld\n", static_cast<long long>(id));
    std::fflush(stdout);

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    Outcome outcome;
    ProgressLine bar;
    bool stop_sent = false;
    while (!api::is_final(outcome.status)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (g_interrupts > 0 && !stop_sent) {
            bar.finish();
            std::fprintf(stderr, "stopping: writing a checkpoint (Ctrl-C twice more to abort)\n");
            engine->stop(id);
            stop_sent = true;
        }
        auto events = engine->drain();
        observe(events, id, &outcome, &bar);
        recorder.record(std::move(events));
        bar.update(outcome.step, config.train.steps, outcome.wall_s, headline(outcome));
    }
    engine->wait(id);
    auto rest = engine->drain();
    observe(rest, id, &outcome, &bar);
    recorder.record(std::move(rest));
    recorder.flush();
    bar.finish();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);

    if (!outcome.message.empty()) std::fprintf(stderr, "error: %s\n", outcome.message.c_str());
    if (const auto err = recorder.last_error(); !err.empty())
        std::fprintf(stderr, "warning: some events were not recorded: %s\n", err.c_str());
    std::fprintf(stderr, "run %lld %s at step %lld after %s\n", static_cast<long long>(id),
                 api::to_string(outcome.status), static_cast<long long>(outcome.step),
                 format_duration(outcome.wall_s).c_str());
    if (opt.json) {
        nlohmann::json j = {{"id", id},
                            {"name", name},
                            {"status", api::to_string(outcome.status)},
                            {"steps", outcome.step},
                            {"wall_s", outcome.wall_s},
                            {"metrics", outcome.metrics},
                            {"db", store->path()}};
        if (!outcome.message.empty()) j["error"] = outcome.message;
        std::printf("%s\n", j.dump(2).c_str());
    }
    return exit_code(outcome);
}

}  // namespace wb::cli
