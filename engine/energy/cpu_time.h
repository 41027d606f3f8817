// CPU time of this process and busy time of the whole machine: what the energy estimate
// multiplies by watts per core, and what tells a machine-wide RAPL reading how much of the
// machine's load was someone else's.
#pragma once

#include <optional>
#include <string>

namespace wb::energy {

/// User plus system CPU seconds of every thread of this process so far (getrusage).
double process_cpu_seconds();

/// Busy CPU seconds of the whole machine since boot, summed over its cores, from the first line
/// of /proc/stat (user, nice, system, irq, softirq, steal); nullopt when it cannot be read.
std::optional<double> machine_busy_seconds(const std::string& proc_stat = "/proc/stat");

}  // namespace wb::energy
