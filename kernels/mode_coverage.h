// Mode coverage of 2-D samples against known mode centres (the GAN mode-collapse measure):
// which mode each point is nearest to, and whether it lies within a radius of it.
#pragma once

#include <cstdint>
#include <vector>

namespace wb::kernels {

struct ModeCoverage {
    std::vector<int64_t> hq_per_mode;  ///< high-quality points per mode
    int64_t hq_total = 0;              ///< points within `radius` of their nearest mode
    int64_t points = 0;
};

/// CPU reference. `xy` holds n points as x0,y0,x1,y1...; `centers` holds m modes the same way.
ModeCoverage mode_coverage_cpu(const float* xy, int64_t n, const float* centers, int64_t m,
                               float radius);

#if defined(WB_HAVE_CUDA_KERNELS)
/// True when the CUDA runtime sees a device.
bool cuda_kernels_usable();
/// The same computation on the GPU; both pointers are device memory.
ModeCoverage mode_coverage_cuda(const float* xy_device, int64_t n, const float* centers_device,
                                int64_t m, float radius);
#endif

/// Modes with at least `min_share` of all points near them (the literature's "covered" mode:
/// 20 of 2500 samples, i.e. 0.8%, following Srivastava et al.'s VEEGAN evaluation).
int64_t covered_modes(const ModeCoverage& c, double min_share = 0.008);

}  // namespace wb::kernels
