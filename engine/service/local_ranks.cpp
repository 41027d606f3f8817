// fork + exec, so that each worker gets PR_SET_PDEATHSIG: a worker whose rank 0 dies (the app
// killed, say) is told at once instead of waiting out the collective timeout. Between fork and
// exec the child calls only async-signal-safe functions; its environment is built before.
#include "engine/service/local_ranks.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace wb::service {
namespace {

// A port nobody listens on now; rank 0's store takes it moments later.
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        throw std::runtime_error(std::string("no socket for the ranks: ") + strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    ::close(fd);
    if (!ok) throw std::runtime_error("no free port on 127.0.0.1 for the ranks");
    return ntohs(a.sin_port);
}

std::string ending(int rank, pid_t pid, int status) {
    const std::string who = "rank " + std::to_string(rank) + " (pid " + std::to_string(pid) + ")";
    if (WIFSIGNALED(status))
        return who + " was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        return who + " exited with code " + std::to_string(WEXITSTATUS(status)) +
               " (its error is printed above)";
    return {};
}

}  // namespace

std::shared_ptr<LocalRanks> LocalRanks::start(const std::string& exe, int world, double timeout_s,
                                              api::DistJoin* rank0) {
    if (::access(exe.c_str(), X_OK) != 0)
        throw std::runtime_error("cannot start the other ranks: " + exe +
                                 " is missing or not executable (" + strerror(errno) +
                                 "); reinstall the workbench, or set dist.mode=off");
    rank0->addr = "127.0.0.1";
    rank0->port = free_port();
    rank0->rank = 0;
    rank0->world = world;
    rank0->local_rank = 0;
    rank0->local_world = world;
    std::shared_ptr<LocalRanks> ranks(new LocalRanks());
    for (int r = 1; r < world; ++r) {
        std::vector<std::string> env;
        for (char** e = environ; *e; ++e) {
            const std::string kv = *e;
            const std::string key = kv.substr(0, kv.find('='));
            if (key != "RANK" && key != "WORLD_SIZE" && key != "MASTER_ADDR" &&
                key != "MASTER_PORT" && key != "LOCAL_RANK" && key != "LOCAL_WORLD_SIZE" &&
                key != "TORCHELASTIC_RESTART_COUNT" && key != "TORCHELASTIC_USE_AGENT_STORE")
                env.push_back(kv);
        }
        env.push_back("RANK=" + std::to_string(r));
        env.push_back("LOCAL_RANK=" + std::to_string(r));
        env.push_back("WORLD_SIZE=" + std::to_string(world));
        env.push_back("LOCAL_WORLD_SIZE=" + std::to_string(world));
        env.push_back("MASTER_ADDR=127.0.0.1");
        env.push_back("MASTER_PORT=" + std::to_string(rank0->port));
        env.push_back("WB_DIST_TIMEOUT_S=" + std::to_string(timeout_s));
        std::vector<char*> envp;
        for (auto& kv : env) envp.push_back(kv.data());
        envp.push_back(nullptr);
        std::string verb = "dist-worker";
        std::string program = exe;
        char* argv[] = {program.data(), verb.data(), nullptr};
        const pid_t parent = ::getpid();
        const pid_t pid = ::fork();
        if (pid < 0)
            throw std::runtime_error(std::string("cannot start rank ") + std::to_string(r) +
                                     ": fork failed (" + strerror(errno) + ")");
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (::getppid() != parent) ::_exit(1);
            ::execve(argv[0], argv, envp.data());
            ::_exit(127);
        }
        ranks->m_pids.push_back(pid);
        ranks->m_ends.emplace_back();
    }
    return ranks;
}

LocalRanks::~LocalRanks() {
    finish(std::chrono::milliseconds(0));
}

void LocalRanks::reap(bool block) {
    for (size_t i = 0; i < m_pids.size(); ++i) {
        if (m_pids[i] == 0) continue;
        int status = 0;
        const pid_t got = ::waitpid(m_pids[i], &status, block ? 0 : WNOHANG);
        if (got == m_pids[i] || (got < 0 && errno == ECHILD)) {
            if (got == m_pids[i]) m_ends[i] = ending(static_cast<int>(i) + 1, m_pids[i], status);
            m_pids[i] = 0;
        }
    }
}

std::string LocalRanks::report() {
    std::lock_guard<std::mutex> lock(m_mutex);
    reap(false);
    std::string out;
    for (const auto& e : m_ends)
        if (!e.empty()) out += (out.empty() ? "" : "; ") + e;
    return out;
}

bool LocalRanks::ended_within(std::chrono::milliseconds wait) {
    const auto until = std::chrono::steady_clock::now() + wait;
    for (;;) {
        reap(false);
        bool live = false;
        for (pid_t p : m_pids) live = live || p != 0;
        if (!live) return true;
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void LocalRanks::signal_live(int sig) {
    for (pid_t p : m_pids)
        if (p != 0) ::kill(p, sig);
}

void LocalRanks::finish(std::chrono::milliseconds grace) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (ended_within(grace)) return;
    signal_live(SIGTERM);
    if (ended_within(std::chrono::seconds(5))) return;
    signal_live(SIGKILL);
    reap(true);
}

}  // namespace wb::service
