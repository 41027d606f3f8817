// CUDA mode coverage: one thread per point finds its nearest centre; per-mode counts are
// accumulated with atomics. Tested against mode_coverage_cpu on machines with a GPU.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/mode_coverage.h"

namespace wb::kernels {
namespace {

__global__ void assign_kernel(const float* xy, int64_t n, const float* centers, int64_t m, float r2,
                              unsigned long long* counts) {
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i >= n) return;
    const float x = xy[2 * i], y = xy[2 * i + 1];
    float best = 3.4e38f;
    int64_t best_mode = -1;
    for (int64_t k = 0; k < m; ++k) {
        const float dx = x - centers[2 * k], dy = y - centers[2 * k + 1];
        const float d2 = dx * dx + dy * dy;
        if (d2 < best) best = d2, best_mode = k;
    }
    if (best_mode >= 0 && best <= r2) atomicAdd(&counts[best_mode], 1ull);
}

void check(cudaError_t e, const char* what) {
    if (e != cudaSuccess)
        throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

}  // namespace

bool cuda_kernels_usable() {
    int devices = 0;
    return cudaGetDeviceCount(&devices) == cudaSuccess && devices > 0;
}

ModeCoverage mode_coverage_cuda(const float* xy_device, int64_t n, const float* centers_device,
                                int64_t m, float radius) {
    unsigned long long* counts = nullptr;
    check(cudaMalloc(&counts, sizeof(unsigned long long) * m), "cudaMalloc");
    check(cudaMemset(counts, 0, sizeof(unsigned long long) * m), "cudaMemset");
    constexpr int kThreads = 256;
    const auto blocks = static_cast<unsigned>((n + kThreads - 1) / kThreads);
    if (n > 0)
        assign_kernel<<<blocks, kThreads>>>(xy_device, n, centers_device, m, radius * radius,
                                            counts);
    std::vector<unsigned long long> host(static_cast<std::size_t>(m));
    const cudaError_t launched = cudaGetLastError();
    const cudaError_t copied =
        cudaMemcpy(host.data(), counts, sizeof(unsigned long long) * m, cudaMemcpyDeviceToHost);
    cudaFree(counts);
    check(launched, "mode coverage kernel");
    check(copied, "cudaMemcpy");
    ModeCoverage c;
    c.points = n;
    for (auto v : host) {
        c.hq_per_mode.push_back(static_cast<int64_t>(v));
        c.hq_total += static_cast<int64_t>(v);
    }
    return c;
}

}  // namespace wb::kernels
