// Which process owns a live run, and whether that process still exists.
// Lets a later open tell a run that is still training from one whose process died.
#pragma once

#include <cstdint>
#include <string>

namespace wb::storage {

struct ProcessOwner {
    int64_t pid = 0;
    std::string host;
    /// Linux boot id: a pid recorded before a reboot says nothing about today's processes.
    std::string boot_id;
};

/// This process, read fresh each time so a forked child reports its own pid.
ProcessOwner current_owner();

/// True when `owner` ran on this host and is certainly gone (no pid, another boot, ESRCH).
/// Runs owned by other hosts are never judged: their processes cannot be checked from here.
bool owner_is_gone(const ProcessOwner& owner);

/// Unix time in seconds, with sub-second precision.
double now_unix_s();

}  // namespace wb::storage
