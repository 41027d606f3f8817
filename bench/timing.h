// Timing helpers shared by the C++ benchmarks.
#pragma once

#include <algorithm>
#include <ctime>
#include <vector>

namespace wb::bench {

/// CPU time of this thread: on a busy machine it tells what the wall time would be on an idle
/// one.
inline double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace wb::bench
