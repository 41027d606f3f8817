// Nearest-centre assignment in plain C++: the reference any accelerated version is tested against.
#include "kernels/mode_coverage.h"

#include <limits>

namespace wb::kernels {

ModeCoverage mode_coverage_cpu(const float* xy, int64_t n, const float* centers, int64_t m,
                               float radius) {
    ModeCoverage c;
    c.hq_per_mode.assign(static_cast<std::size_t>(m), 0);
    c.points = n;
    const float r2 = radius * radius;
    for (int64_t i = 0; i < n; ++i) {
        float best = std::numeric_limits<float>::infinity();
        int64_t best_mode = -1;
        for (int64_t k = 0; k < m; ++k) {
            const float dx = xy[2 * i] - centers[2 * k];
            const float dy = xy[2 * i + 1] - centers[2 * k + 1];
            const float d2 = dx * dx + dy * dy;
            if (d2 < best) best = d2, best_mode = k;
        }
        if (best_mode >= 0 && best <= r2) {
            ++c.hq_per_mode[static_cast<std::size_t>(best_mode)];
            ++c.hq_total;
        }
    }
    return c;
}

int64_t covered_modes(const ModeCoverage& c, double min_share) {
    int64_t covered = 0;
    for (int64_t count : c.hq_per_mode)
        if (c.points > 0 && static_cast<double>(count) >= min_share * static_cast<double>(c.points))
            ++covered;
    return covered;
}

}  // namespace wb::kernels
