// The run queue from the terminal: add (one run or a sweep), list, cancel, reprioritise, move;
// the scheduler loop; a sweep's summary.
#include "app/cli/queue_command.h"

#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "app/cli/config_input.h"
#include "app/cli/terminal_text.h"
#include "engine/api/preflight.h"
#include "engine/service/run_service.h"
#include "engine/service/scheduler.h"
#include "engine/service/sweep.h"
#include "engine/torch_engine.h"
#include "storage/run_store.h"

namespace wb::cli {
namespace {

std::string resources_text(const storage::QueueResources& need) {
    std::string s = std::to_string(need.threads) + "t";
    if (!need.gpu_ids.empty())
        s += " gpu " + storage::gpu_list_text(need.gpu_ids);
    else if (need.gpus > 0)
        s += " " + std::to_string(need.gpus) + "gpu";
    if (need.gpu_mem_mb > 0) s += " " + std::to_string(need.gpu_mem_mb) + "MiB";
    return s;
}

nlohmann::json entry_json(const storage::QueueEntry& e) {
    return {{"id", e.run_id},
            {"name", e.name},
            {"state", storage::to_string(e.state)},
            {"status", api::to_string(e.status)},
            {"priority", e.priority},
            {"position", e.position},
            {"threads", e.need.threads},
            {"gpus", e.need.gpu_count()},
            {"gpu_ids", e.need.gpu_ids},
            {"gpu_mem_mb", e.need.gpu_mem_mb},
            {"assigned_gpus", e.assigned_gpus},
            {"sweep", e.sweep},
            {"steps_done", e.steps_done},
            {"total_steps", e.total_steps},
            {"starts", e.starts},
            {"preemptions", e.preemptions},
            {"worker_pid", e.worker_pid},
            {"note", e.note}};
}

}  // namespace

// What the machine offers, from the engine (cores this process may use, the GPUs CUDA sees).
service::Capacity machine_capacity(const api::Engine& engine, int cores, int gpus,
                                   int64_t gpu_mem_mb) {
    service::Capacity cap;
    cap.cores = cores > 0 ? cores : service::usable_cores();
    if (gpus < 0) {
        const auto env = nlohmann::json::parse(engine.environment_json(), nullptr, false);
        gpus = env.is_object() ? env.value("cuda_devices", 0) : 0;
    }
    cap.gpu_mem_mb.assign(static_cast<size_t>(std::max(0, gpus)), gpu_mem_mb);
    return cap;
}

std::unique_ptr<api::Engine> start_engine() {
    try {
        return engine::make_torch_engine();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: the training engine could not start: %s\n", e.what());
        return nullptr;
    }
}

int with_store(const std::string& db, const std::function<int(storage::RunStore&)>& f) {
    try {
        storage::RunStore store(db);
        return f(store);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", error_text(e).c_str());
        return kExitFailure;
    }
}

int queue_add_command(const TrainOptions& train, const QueueAddOptions& q) {
    std::vector<api::ConfigError> errors;
    api::RunConfig base;
    std::string name = train.name;
    if (!new_run_config(train, &base, &name, &errors)) return kExitBadConfig;
    if (!errors.empty()) {
        print_config_errors(errors);
        return kExitBadConfig;
    }
    std::vector<service::SweepAxis> axes;
    for (const auto& text : q.sweeps) {
        std::string why;
        const auto axis = service::parse_sweep_axis(text, &why);
        if (!axis) {
            std::fprintf(stderr, "error: %s\n", why.c_str());
            return kExitBadConfig;
        }
        axes.push_back(*axis);
    }
    if (q.seeds < 1 || q.seeds > 1000) {
        std::fprintf(stderr, "error: --seeds must be between 1 and 1000\n");
        return kExitBadConfig;
    }
    const bool sweep = !axes.empty() || q.seeds > 1;
    const auto members = service::expand_sweep(name, axes, q.seeds, base.train.seed);
    if (members.size() > 1000) {
        std::fprintf(stderr,
                     "error: the sweep has %zu members; at most 1000 can be queued at once\n",
                     members.size());
        return kExitBadConfig;
    }
    storage::QueueResources need;
    try {
        need.gpu_ids = storage::parse_gpu_list(q.gpu_ids);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "error: --gpu-ids: %s\n", e.what());
        return kExitBadConfig;
    }
    need.gpus = q.gpus;
    need.gpu_mem_mb = q.gpu_mem_mb;
    if (need.gpu_count() > 0 && base.device == "cpu") {
        std::fprintf(stderr,
                     "error: device is cpu, so the run would not use the GPUs it reserves; set "
                     "--set device=cuda (or auto), or drop --gpus/--gpu-ids\n");
        return kExitBadConfig;
    }

    const std::unique_ptr<api::Engine> engine = start_engine();
    if (!engine) return kExitFailure;
    const service::Capacity cap = machine_capacity(*engine, 0, -1, 0);
    return with_store(train.db, [&](storage::RunStore& store) {
        service::RunService runs(*engine, store, {});
        // Every member is checked before the first is queued: a sweep is queued whole or not.
        struct Ready {
            std::string name;
            api::RunConfig config;
            storage::QueueResources need;
        };
        std::vector<Ready> ready;
        for (const auto& m : members) {
            std::vector<api::ConfigError> errs;
            api::RunConfig config = apply_overrides(base, {}, m.sets, &errs);
            // A queued run uses exactly the threads it reserves.
            const int per_process = q.threads > 0 ? q.threads
                                    : config.train.threads > 0
                                        ? static_cast<int>(config.train.threads)
                                        : 1;
            config.train.threads = per_process;
            storage::QueueResources n = need;
            const int processes =
                config.dist.distributed() ? static_cast<int>(config.dist.world_size) : 1;
            n.threads = per_process * processes;
            auto problems = errs;
            if (problems.empty()) problems = config.validate();
            if (!problems.empty()) {
                if (sweep) std::fprintf(stderr, "%s:\n", printable(m.name).c_str());
                print_config_errors(problems);
                return static_cast<int>(kExitBadConfig);
            }
            if (const auto missing = api::data_path_problems(config); !missing.empty()) {
                print_config_errors(missing);
                return static_cast<int>(kExitDataProblem);
            }
            if (const auto why = service::never_fits(n, cap)) {
                std::fprintf(stderr, "error: %s cannot run on this machine: %s\n",
                             printable(m.name).c_str(), why->c_str());
                return static_cast<int>(kExitBadConfig);
            }
            ready.push_back({m.name, config, n});
        }
        nlohmann::json added = nlohmann::json::array();
        for (const auto& r : ready) {
            const service::Started s =
                runs.enqueue(r.config, r.name, r.need, q.priority, sweep ? name : std::string());
            if (!s.ok()) return refused(*s.refusal);
            added.push_back({{"id", s.run_id}, {"name", r.name}});
            if (!q.json) std::printf("%lld\n", static_cast<long long>(s.run_id));
            std::fprintf(stderr, "queued run %lld (%s), priority %lld, %s\n",
                         static_cast<long long>(s.run_id), printable(r.name).c_str(),
                         static_cast<long long>(q.priority), resources_text(r.need).c_str());
        }
        if (q.json) std::printf("%s\n", json_text(added, 2).c_str());
        std::fprintf(stderr, "`workbench-cli scheduler` starts them\n");
        return static_cast<int>(kExitOk);
    });
}

int queue_list_command(const std::string& db, bool all, bool json) {
    try {
        storage::RunStore store(db, storage::RunStore::ReadOnly{});
        const auto entries = store.queue_entries(all);
        if (json) {
            nlohmann::json j = nlohmann::json::array();
            for (const auto& e : entries) j.push_back(entry_json(e));
            std::printf("%s\n", json_text(j, 2).c_str());
            return kExitOk;
        }
        if (entries.empty()) {
            std::printf("the queue is empty%s\n", all ? "" : " (--all shows the runs it finished)");
            return kExitOk;
        }
        std::printf("%-6s %-10s %-11s %4s %-14s %13s  %s\n", "ID", "STATE", "STATUS", "PRI",
                    "NEEDS", "STEPS", "NAME");
        for (const auto& e : entries) {
            std::string steps = std::to_string(e.steps_done) + "/" + std::to_string(e.total_steps);
            std::printf("%-6lld %-10s %-11s %4lld %-14s %13s  %s\n",
                        static_cast<long long>(e.run_id), storage::to_string(e.state),
                        api::to_string(e.status), static_cast<long long>(e.priority),
                        resources_text(e.need).c_str(), steps.c_str(), printable(e.name).c_str());
            if (!e.note.empty()) std::printf("       %s\n", printable(e.note).c_str());
        }
        return kExitOk;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", error_text(e).c_str());
        return kExitFailure;
    }
}

int queue_cancel_command(const std::string& db, int64_t id) {
    return with_store(db, [&](storage::RunStore& store) {
        const auto before = store.queue_cancel(id);
        if (!before) {
            std::fprintf(stderr,
                         "error: run %lld is not waiting or training in the queue (`workbench-cli "
                         "queue --all` lists what it holds)\n",
                         static_cast<long long>(id));
            return static_cast<int>(kExitBadConfig);
        }
        if (before->waiting_run() && before->worker_pid == 0) {
            std::fprintf(stderr,
                         "cancelled run %lld before it started (it stays in the history as "
                         "stopped)\n",
                         static_cast<long long>(id));
            return static_cast<int>(kExitOk);
        }
        // Training: its worker stops it at a checkpoint, as Ctrl-C would.
        const int64_t pid = !before->owner.host.empty() ? before->owner.pid : before->worker_pid;
        if (pid > 0 &&
            !storage::owner_is_gone(before->owner.host.empty() ? storage::ProcessOwner{pid, {}, {}}
                                                               : before->owner))
            ::kill(static_cast<pid_t>(pid), SIGTERM);
        std::fprintf(stderr,
                     "cancelled run %lld: its worker (pid %lld) stops it at a checkpoint; "
                     "`workbench-cli resume %lld` continues it later\n",
                     static_cast<long long>(id), static_cast<long long>(pid),
                     static_cast<long long>(id));
        return static_cast<int>(kExitOk);
    });
}

int queue_priority_command(const std::string& db, int64_t id, int64_t priority) {
    return with_store(db, [&](storage::RunStore& store) {
        store.set_queue_priority(id, priority);
        std::fprintf(stderr, "run %lld now has priority %lld\n", static_cast<long long>(id),
                     static_cast<long long>(priority));
        return static_cast<int>(kExitOk);
    });
}

int queue_move_command(const std::string& db, int64_t id, int64_t before) {
    return with_store(db, [&](storage::RunStore& store) {
        store.move_in_queue(id, before);
        return static_cast<int>(kExitOk);
    });
}

}  // namespace wb::cli
