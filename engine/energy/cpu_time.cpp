// getrusage for the process, /proc/stat for the machine.
#include "engine/energy/cpu_time.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace wb::energy {

double process_cpu_seconds() {
    rusage u{};
    if (::getrusage(RUSAGE_SELF, &u) != 0) return 0;
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
    };
    return seconds(u.ru_utime) + seconds(u.ru_stime);
}

std::optional<double> machine_busy_seconds(const std::string& proc_stat) {
    std::ifstream in(proc_stat);
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    std::istringstream fields(line);
    std::string label;
    // user nice system idle iowait irq softirq steal, in clock ticks
    double v[8] = {0};
    fields >> label;
    for (double& x : v) fields >> x;
    if (label != "cpu" || fields.fail()) return std::nullopt;
    const long ticks = ::sysconf(_SC_CLK_TCK);
    const double busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return busy / static_cast<double>(ticks > 0 ? ticks : 100);
}

}  // namespace wb::energy
