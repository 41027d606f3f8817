// Progress rendering: the rate is measured from this process's first step, so a resumed run's
// ETA is not skewed by the steps it did before.
#include "app/cli/progress_line.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace wb::cli {

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "--:--";
    const auto s = static_cast<long>(seconds + 0.5);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

ProgressLine::ProgressLine() : m_tty(::isatty(STDERR_FILENO) == 1) {}

void ProgressLine::update(int64_t step, int64_t total, double wall_s, const std::string& detail) {
    if (!m_tty) return;
    const auto now = std::chrono::steady_clock::now();
    if (m_drawn && now - m_last_draw < std::chrono::milliseconds(100)) return;
    m_last_draw = now;
    if (m_first_step < 0) {
        m_first_step = step;
        m_first_wall_s = wall_s;
    }
    const double done = total > 0 ? static_cast<double>(step) / static_cast<double>(total) : 0;
    const double rate = wall_s > m_first_wall_s
                            ? static_cast<double>(step - m_first_step) / (wall_s - m_first_wall_s)
                            : 0;
    const double eta = rate > 0 ? static_cast<double>(total - step) / rate : NAN;
    constexpr int kWidth = 24;
    std::string bar(kWidth, '-');
    for (int i = 0; i < static_cast<int>(done * kWidth) && i < kWidth; ++i) bar[i] = '#';
    std::fprintf(stderr, "\r\033[K[%s] %3d%% %lld/%lld  %.1f steps/s  ETA %s  %s", bar.c_str(),
                 static_cast<int>(done * 100), static_cast<long long>(step),
                 static_cast<long long>(total), rate, format_duration(eta).c_str(), detail.c_str());
    std::fflush(stderr);
    m_drawn = true;
}

void ProgressLine::finish() {
    if (m_tty && m_drawn) std::fprintf(stderr, "\n");
    m_drawn = false;
}

}  // namespace wb::cli
