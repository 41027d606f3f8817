// `workbench-cli scheduler`: the queue's scheduler loop in the foreground; and `sweep NAME`, a
// sweep's members and their group statistics.
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/cli/queue_command.h"
#include "app/cli/terminal_text.h"
#include "engine/service/scheduler.h"
#include "engine/service/sweep.h"
#include "engine/torch_engine.h"
#include "storage/run_store.h"

namespace wb::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_stop(int) {
    if (++g_stop >= 3) std::_Exit(kExitInterrupted);
}

std::string clock_now() {
    const std::time_t t = std::time(nullptr);
    char buf[16];
    std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
    return buf;
}

}  // namespace

int scheduler_command(const SchedulerCliOptions& opt) {
    const std::unique_ptr<api::Engine> engine = start_engine();
    if (!engine) return kExitFailure;
    if (opt.cores < 0 || opt.gpu_mem_mb < 0 || !(opt.interval_s > 0)) {
        std::fprintf(stderr, "error: --cores, --gpu-mem and --interval must be positive\n");
        return kExitBadConfig;
    }
    service::SchedulerOptions so;
    so.worker_exe = self_executable();
    so.capacity = machine_capacity(*engine, opt.cores, opt.gpus, opt.gpu_mem_mb);
    return with_store(opt.db, [&](storage::RunStore& store) {
        service::Scheduler scheduler(store, so);
        if (const auto held = scheduler.lock()) {
            std::fprintf(stderr, "error: %s\n", held->c_str());
            return static_cast<int>(kExitBusy);
        }
        std::fprintf(stderr, "scheduler: %d cores, %zu GPU(s), database %s (Ctrl-C: stop)\n",
                     so.capacity.cores, so.capacity.gpu_mem_mb.size(),
                     printable(store.path()).c_str());
        std::signal(SIGINT, on_stop);
        std::signal(SIGTERM, on_stop);
        bool stopping = false;
        int code = kExitOk;
        while (true) {
            service::TickReport r;
            try {
                r = scheduler.tick();
            } catch (const std::exception& e) {
                // A database locked or briefly unwritable: the queue is where it was; try again.
                std::fprintf(stderr, "%s warning: %s; trying again\n", clock_now().c_str(),
                             error_text(e).c_str());
                r.running = 1;  // not idle: nothing is known
            }
            for (const auto& line : r.lines)
                std::fprintf(stderr, "%s %s\n", clock_now().c_str(), printable(line).c_str());
            if (g_stop > 0 && !stopping) {
                stopping = true;
                scheduler.stop_starting();
                const auto ids = scheduler.preempt_all();
                std::fprintf(stderr,
                             "stopping: %zu running run(s) stop at a checkpoint and go back to the "
                             "queue (Ctrl-C twice more to leave them training)\n",
                             ids.size());
                code = kExitInterrupted;
                continue;
            }
            if (stopping && r.running == 0) break;
            if (!stopping && opt.until_idle && r.idle()) break;
            std::this_thread::sleep_for(std::chrono::duration<double>(opt.interval_s));
        }
        scheduler.unlock();
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        std::fprintf(stderr, "scheduler: %s\n",
                     stopping ? "stopped; the queued runs wait for the next scheduler"
                              : "the queue is empty");
        return code;
    });
}

int sweep_command(const std::string& db, const std::string& sweep, bool json) {
    try {
        storage::RunStore store(db, storage::RunStore::ReadOnly{});
        std::vector<storage::QueueEntry> members;
        for (const auto& e : store.queue_entries(true))
            if (e.sweep == sweep) members.push_back(e);
        if (members.empty()) {
            std::fprintf(stderr,
                         "error: no sweep named '%s' in %s (`workbench-cli queue --all` "
                         "lists the queued runs and their sweeps)\n",
                         printable(sweep).c_str(), printable(store.path()).c_str());
            return kExitBadConfig;
        }
        // The metrics every completed member has, of the kinds worth comparing.
        std::vector<std::map<std::string, storage::MetricPoint>> last;
        std::set<std::string> names;
        bool first = true;
        int completed = 0;
        for (const auto& m : members) {
            last.push_back(store.last_metrics(m.run_id));
            if (m.status != api::RunStatus::Completed) continue;
            ++completed;
            std::set<std::string> mine;
            for (const auto& [n, p] : last.back())
                for (const char* prefix : {"loss/", "quality/", "time/step_ms", "throughput/",
                                           "memory/peak_bytes", "energy/joules", "nats/"})
                    if (n.rfind(prefix, 0) == 0) mine.insert(n);
            if (first) {
                names = mine;
                first = false;
            } else {
                std::set<std::string> both;
                for (const auto& n : names)
                    if (mine.count(n)) both.insert(n);
                names = both;
            }
        }
        nlohmann::json j = {{"sweep", sweep},
                            {"members", nlohmann::json::array()},
                            {"completed", completed},
                            {"summary", nlohmann::json::object()}};
        for (size_t i = 0; i < members.size(); ++i) {
            nlohmann::json m = {{"id", members[i].run_id},
                                {"name", members[i].name},
                                {"status", api::to_string(members[i].status)}};
            for (const auto& n : names)
                if (const auto it = last[i].find(n); it != last[i].end()) m[n] = it->second.value;
            j["members"].push_back(m);
        }
        for (const auto& n : names) {
            std::vector<double> values;
            for (size_t i = 0; i < members.size(); ++i)
                if (members[i].status == api::RunStatus::Completed)
                    values.push_back(last[i].at(n).value);
            const service::GroupStat s = service::group_stat(values);
            j["summary"][n] = {
                {"n", s.n}, {"mean", s.mean}, {"sd", s.sd}, {"min", s.min}, {"max", s.max}};
        }
        if (json) {
            std::printf("%s\n", json_text(j, 2).c_str());
            return kExitOk;
        }
        std::printf("sweep %s: %zu member(s), %d completed\n", printable(sweep).c_str(),
                    members.size(), completed);
        for (const auto& m : members)
            std::printf("  %-6lld %-11s %s\n", static_cast<long long>(m.run_id),
                        api::to_string(m.status), printable(m.name).c_str());
        if (names.empty()) return kExitOk;
        std::printf("over the completed members (mean ± sd, min..max):\n");
        for (const auto& n : names) {
            const auto& s = j["summary"][n];
            std::printf("  %-26s %.6g ± %.3g  (%.6g..%.6g, n=%d)\n", n.c_str(),
                        s["mean"].get<double>(), s["sd"].get<double>(), s["min"].get<double>(),
                        s["max"].get<double>(), s["n"].get<int>());
        }
        return kExitOk;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", error_text(e).c_str());
        return kExitFailure;
    }
}

}  // namespace wb::cli
