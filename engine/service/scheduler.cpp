// The Scheduler that applies plan_queue (queue_plan.cpp) to the database and to worker
// processes. Every decision is read back from the database each tick, so a scheduler
// that was killed and started again adopts the workers its predecessor left running.
#include "engine/service/scheduler.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <thread>

#include "engine/api/paths.h"
#include "storage/run_store.h"

extern char** environ;

namespace wb::service {

using storage::QueueEntry;
using storage::QueueResources;
using storage::QueueState;

namespace {

std::string label(const QueueEntry& e) {
    return "run " + std::to_string(e.run_id) + " (" + e.name + ")";
}

bool pid_gone(int64_t pid) {
    return pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH);
}

std::string ending_text(int status) {
    if (WIFSIGNALED(status))
        return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
    return "ended";
}

// Pids this process started, and how the reaped ones ended (shared by every Scheduler here).
std::map<int64_t, std::string>& endings() {
    static std::map<int64_t, std::string> e;
    return e;
}
std::vector<int64_t>& children() {
    static std::vector<int64_t> c;
    return c;
}

void reap_children() {
    auto& kids = children();
    for (auto it = kids.begin(); it != kids.end();) {
        int status = 0;
        const pid_t got = ::waitpid(static_cast<pid_t>(*it), &status, WNOHANG);
        if (got == static_cast<pid_t>(*it) || (got < 0 && errno == ECHILD)) {
            endings()[*it] = got > 0 ? ending_text(status) : "ended";
            it = kids.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace

Scheduler::Scheduler(storage::RunStore& store, SchedulerOptions options)
    : m_store(store), m_options(std::move(options)) {}

Scheduler::~Scheduler() {
    unlock();
}

std::optional<std::string> Scheduler::lock() {
    const auto holder = m_store.take_scheduler_lock();
    if (!holder) {
        m_locked = true;
        return std::nullopt;
    }
    const double age = storage::now_unix_s() - holder->second;
    return "another scheduler already runs this queue: pid " + std::to_string(holder->first.pid) +
           " on " + holder->first.host + ", for " + std::to_string(static_cast<long long>(age)) +
           " s. It starts the queued runs; stop it first (Ctrl-C there, or close the app that "
           "runs it) to run the scheduler here.";
}

void Scheduler::unlock() {
    if (!m_locked) return;
    m_locked = false;
    try {
        m_store.release_scheduler_lock();
    } catch (const std::exception&) {
        // A lock left behind is taken over once this process is gone.
    }
}

int64_t Scheduler::spawn(int64_t run_id, const std::vector<int>& gpus) {
    if (m_options.spawn) return m_options.spawn(run_id, gpus);
    const std::string& exe = m_options.worker_exe;
    if (::access(exe.c_str(), X_OK) != 0)
        throw std::runtime_error("cannot start a worker: " + exe +
                                 " is missing or not executable (" + strerror(errno) + ")");
    // The worker's output goes to the run's folder, next to its checkpoints.
    const std::string dir = api::run_files_dir(m_store.path(), run_id);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const std::string log = dir + "/worker.log";
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        if (std::strncmp(*e, "CUDA_VISIBLE_DEVICES=", 21) != 0) env.emplace_back(*e);
    if (!gpus.empty()) env.push_back("CUDA_VISIBLE_DEVICES=" + storage::gpu_list_text(gpus));
    std::vector<char*> envp;
    for (auto& kv : env) envp.push_back(kv.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = {exe, "--db", m_store.path(), "queue-worker",
                                     std::to_string(run_id)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        throw std::runtime_error("cannot write the worker's log " + log + ": " + strerror(errno));
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fd);
        throw std::runtime_error(std::string("cannot start a worker: fork failed (") +
                                 strerror(errno) + ")");
    }
    if (pid == 0) {
        // Its own session: a Ctrl-C meant for the scheduler's terminal does not stop the runs,
        // and a scheduler that dies leaves them training for the next one to adopt.
        ::setsid();
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        const int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(fd);
    children().push_back(pid);
    return pid;
}

void Scheduler::reconcile(const QueueEntry& e, TickReport* report) {
    const auto say = [&](const std::string& line) { report->lines.push_back(line); };
    if (e.state == QueueState::Waiting) {
        // Continued by hand (`resume`) while it waited: the queue lets it go once it ends.
        if (!e.waiting_run() && api::is_final(e.status) &&
            e.status != api::RunStatus::Interrupted &&
            m_store.queue_done(e.run_id, "ran outside the queue"))
            say(label(e) + " ran outside the queue and ended " + api::to_string(e.status));
        return;
    }
    if (!e.holds_resources()) return;
    const bool preempting = e.state == QueueState::Preempting;
    const auto how_it_ended = [&] {
        const auto it = endings().find(e.worker_pid);
        return it == endings().end() ? std::string("ended") : it->second;
    };
    const auto retry_or_give_up = [&](const std::string& what) {
        if (e.starts < m_options.max_starts) {
            if (m_store.queue_requeue(e.run_id, false, what))
                say(label(e) + ": " + what +
                    "; it goes back to the queue and continues from its "
                    "last checkpoint");
        } else if (m_store.queue_done(e.run_id, what + "; given up after " +
                                                    std::to_string(e.starts) + " starts")) {
            say(label(e) + ": " + what + "; given up after " + std::to_string(e.starts) +
                " starts (see its worker.log; `workbench-cli resume " + std::to_string(e.run_id) +
                "` continues it by hand)");
        }
    };
    if (e.waiting_run()) {
        // Its worker has not claimed it yet; a worker that ended before claiming failed to start.
        if (!pid_gone(e.worker_pid)) return;
        if (preempting) {
            if (m_store.queue_requeue(e.run_id, true, {}))
                say(label(e) + " was preempted before it began");
            return;
        }
        retry_or_give_up("its worker " + how_it_ended() + " before the run began");
        return;
    }
    switch (e.status) {
        case api::RunStatus::Completed:
        case api::RunStatus::Failed:
            if (m_store.queue_done(e.run_id, {}))
                say(label(e) + " " + api::to_string(e.status) + " at step " +
                    std::to_string(e.steps_done));
            return;
        case api::RunStatus::Stopped:
            if (preempting) {
                if (m_store.queue_requeue(e.run_id, true, {}))
                    say(label(e) + " stopped at step " + std::to_string(e.steps_done) +
                        " for a run of higher priority and waits in the queue again");
            } else if (m_store.queue_done(e.run_id, "stopped by the user")) {
                say(label(e) + " was stopped at step " + std::to_string(e.steps_done));
            }
            return;
        case api::RunStatus::Interrupted:
            retry_or_give_up("its worker " + how_it_ended() + " at step " +
                             std::to_string(e.steps_done));
            return;
        default:
            if (e.owner_gone)
                retry_or_give_up("its worker " + how_it_ended() + " at step " +
                                 std::to_string(e.steps_done));
            return;
    }
}

TickReport Scheduler::tick() {
    TickReport report;
    reap_children();
    for (const auto& e : m_store.queue_entries(false)) {
        reconcile(e, &report);
        // Added on a bigger machine, or for a scheduler given fewer cores: it would block the
        // queue forever.
        if (e.state != QueueState::Waiting || !e.waiting_run()) continue;
        if (const auto why = never_fits(e.need, m_options.capacity)) {
            const std::string text = "this scheduler cannot run it: " + *why;
            if (m_store.queue_done(e.run_id, text)) {
                m_store.set_status(e.run_id, api::RunStatus::Failed, text,
                                   api::FailureKind::Config);
                report.lines.push_back(label(e) + ": " + text);
            }
        }
    }
    const auto entries = m_store.queue_entries(false);
    const Plan plan = plan_queue(entries, m_options.capacity);
    std::map<int64_t, const QueueEntry*> by_id;
    for (const auto& e : entries) by_id[e.run_id] = &e;
    for (int64_t id : plan.preempt) {
        const QueueEntry& e = *by_id.at(id);
        if (!m_store.queue_preempting(id)) continue;
        const int64_t pid = e.owner.pid > 0 && !e.owner_gone ? e.owner.pid : e.worker_pid;
        if (pid > 0) ::kill(static_cast<pid_t>(pid), SIGTERM);
        report.lines.push_back("preempting " + label(e) + " (priority " +
                               std::to_string(e.priority) + ") at its next checkpoint for run " +
                               std::to_string(plan.blocked) + " (priority " +
                               std::to_string(by_id.at(plan.blocked)->priority) + ")");
    }
    for (const auto& s : plan.starts) {
        if (!m_starting) break;
        const QueueEntry& e = *by_id.at(s.run_id);
        int64_t pid = 0;
        try {
            pid = spawn(s.run_id, s.gpus);
        } catch (const std::exception& ex) {
            m_store.queue_done(s.run_id, ex.what());
            m_store.set_status(s.run_id, api::RunStatus::Failed, ex.what(),
                               api::FailureKind::Other);
            report.lines.push_back(label(e) + " could not start: " + ex.what());
            continue;
        }
        if (!m_store.queue_started(s.run_id, pid, s.gpus)) {
            ::kill(static_cast<pid_t>(pid), SIGTERM);  // cancelled meanwhile
            continue;
        }
        std::string where = std::to_string(e.need.threads) + " thread(s)";
        if (!s.gpus.empty()) where += ", GPU " + storage::gpu_list_text(s.gpus);
        report.lines.push_back("started " + label(e) + " on " + where + " (worker pid " +
                               std::to_string(pid) + ")");
    }
    for (const auto& e : m_store.queue_entries(false)) {
        if (e.holds_resources()) ++report.running;
        if (e.state == QueueState::Waiting && e.waiting_run()) ++report.waiting;
    }
    return report;
}

std::vector<int64_t> Scheduler::preempt_all() {
    std::vector<int64_t> stopped;
    for (const auto& e : m_store.queue_entries(false)) {
        if (e.state != QueueState::Started || !m_store.queue_preempting(e.run_id)) continue;
        const int64_t pid = e.owner.pid > 0 && !e.owner_gone ? e.owner.pid : e.worker_pid;
        if (pid > 0) ::kill(static_cast<pid_t>(pid), SIGTERM);
        stopped.push_back(e.run_id);
    }
    return stopped;
}

}  // namespace wb::service
