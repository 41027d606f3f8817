// Process identity and liveness checks (POSIX, plus the Linux boot id when available).
#include "storage/owner.h"

#include <cerrno>
#include <chrono>
#include <fstream>

#include <signal.h>
#include <unistd.h>

namespace wb::storage {

namespace {

std::string host_name() {
    char buffer[256] = {};
    if (gethostname(buffer, sizeof(buffer) - 1) != 0) return {};
    return buffer;
}

const std::string& boot_id() {
    static const std::string id = [] {
        std::string line;
        std::ifstream in("/proc/sys/kernel/random/boot_id");
        std::getline(in, line);
        return line;
    }();
    return id;
}

}  // namespace

ProcessOwner current_owner() {
    return ProcessOwner{getpid(), host_name(), boot_id()};
}

bool owner_is_gone(const ProcessOwner& owner) {
    const ProcessOwner me = current_owner();
    // An empty host means no owner was ever recorded, so nobody can be running it.
    if (!owner.host.empty() && owner.host != me.host) return false;
    if (owner.pid <= 0) return true;
    if (!owner.boot_id.empty() && !me.boot_id.empty() && owner.boot_id != me.boot_id) return true;
    if (owner.pid == me.pid) return false;
    // EPERM means the process exists but belongs to someone else: alive.
    return kill(static_cast<pid_t>(owner.pid), 0) != 0 && errno == ESRCH;
}

double now_unix_s() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace wb::storage
