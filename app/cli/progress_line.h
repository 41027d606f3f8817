// A one-line terminal progress bar with rate and ETA, redrawn in place on stderr.
// Silent when stderr is not a terminal, so logs and pipes stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace wb::cli {

class ProgressLine {
public:
    ProgressLine();
    /// Redraws at most every 100 ms; `detail` is e.g. "loss/g 0.69".
    void update(int64_t step, int64_t total, double wall_s, const std::string& detail);
    /// Ends the line so later output starts on a fresh one.
    void finish();

private:
    bool m_tty = false;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_last_draw;
    int64_t m_first_step = -1;
    double m_first_wall_s = 0;
};

std::string format_duration(double seconds);

}  // namespace wb::cli
