// The one place that knows LibTorch version and CUDA differences (Debian's 1.13 CPU build vs an
// official 2.x CUDA build), so the rest of the engine is written once.
#pragma once

#include <cstdint>
#include <string>

#include <torch/torch.h>

#if defined(WB_TORCH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace wb::compat {

inline std::string torch_version() {
    return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
           std::to_string(TORCH_VERSION_PATCH);
}

inline bool built_with_cuda() {
#if defined(WB_TORCH_CUDA)
    return true;
#else
    return false;
#endif
}

inline bool cuda_usable() {
    return built_with_cuda() && torch::cuda::is_available();
}

/// Waits for the device's queued work, so a wall-clock timing covers it.
inline void synchronize(const torch::Device& device) {
#if defined(WB_TORCH_CUDA)
    if (device.is_cuda()) torch::cuda::synchronize(device.index());
#else
    (void)device;
#endif
}

struct CudaMemory {
    int64_t allocated_bytes = 0;
    int64_t peak_bytes = 0;
};

inline CudaMemory cuda_memory(int device_index) {
    CudaMemory m;
#if defined(WB_TORCH_CUDA)
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device_index);
    const auto all = static_cast<std::size_t>(c10::cuda::CUDACachingAllocator::StatType::AGGREGATE);
    m.allocated_bytes = stats.allocated_bytes[all].current;
    m.peak_bytes = stats.allocated_bytes[all].peak;
#else
    (void)device_index;
#endif
    return m;
}

}  // namespace wb::compat
