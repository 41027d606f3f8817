// The one place that knows LibTorch version and CUDA differences (Debian's 1.13 CPU build vs an
// official 2.x CUDA build), so the rest of the engine is written once.
#pragma once

#include <cstdint>
#include <string>

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#if defined(WB_TORCH_CUDA)
#include <ATen/cuda/CUDAGeneratorImpl.h>
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

/// A generator for random draws made on `device` (dropout masks): `cpu` itself on the CPU, else a
/// CUDA generator of that device seeded with `seed`.
inline at::Generator device_generator(const torch::Device& device, const at::Generator& cpu,
                                      uint64_t seed) {
#if defined(WB_TORCH_CUDA)
    if (device.is_cuda()) {
        auto gen = at::cuda::detail::createCUDAGenerator(device.has_index() ? device.index() : 0);
        gen.set_current_seed(seed);
        return gen;
    }
#endif
    (void)device, (void)seed;
    return cpu;
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

/// Starts the peak of cuda_memory() afresh (benchmarks measure one operation's peak).
inline void reset_cuda_peak(int device_index) {
#if defined(WB_TORCH_CUDA)
    c10::cuda::CUDACachingAllocator::resetPeakStats(device_index);
#else
    (void)device_index;
#endif
}

/// Autocast for the current thread while alive: matrix products and convolutions run in `dtype`
/// (bfloat16 or float16) on `device`'s type, other ops as autocast's tables say. On leaving the
/// outermost scope the cache of casted weights is cleared, as Python's torch.autocast does, so the
/// next step casts the updated weights. A no-op when `enabled` is false.
class AutocastGuard {
public:
    AutocastGuard(bool enabled, torch::Device device, at::ScalarType dtype)
        : m_enabled(enabled), m_cuda(device.is_cuda()) {
        if (!m_enabled) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
        const auto type = m_cuda ? at::kCUDA : at::kCPU;
        m_prev_enabled = at::autocast::is_autocast_enabled(type);
        m_prev_dtype = at::autocast::get_autocast_dtype(type);
        at::autocast::set_autocast_enabled(type, true);
        at::autocast::set_autocast_dtype(type, dtype);
#else
        if (m_cuda) {
            m_prev_enabled = at::autocast::is_enabled();
            m_prev_dtype = at::autocast::get_autocast_gpu_dtype();
            at::autocast::set_enabled(true);
            at::autocast::set_autocast_gpu_dtype(dtype);
        } else {
            m_prev_enabled = at::autocast::is_cpu_enabled();
            m_prev_dtype = at::autocast::get_autocast_cpu_dtype();
            at::autocast::set_cpu_enabled(true);
            at::autocast::set_autocast_cpu_dtype(dtype);
        }
#endif
        at::autocast::increment_nesting();
    }
    ~AutocastGuard() {
        if (!m_enabled) return;
        if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
        const auto type = m_cuda ? at::kCUDA : at::kCPU;
        at::autocast::set_autocast_enabled(type, m_prev_enabled);
        at::autocast::set_autocast_dtype(type, m_prev_dtype);
#else
        if (m_cuda) {
            at::autocast::set_enabled(m_prev_enabled);
            at::autocast::set_autocast_gpu_dtype(m_prev_dtype);
        } else {
            at::autocast::set_cpu_enabled(m_prev_enabled);
            at::autocast::set_autocast_cpu_dtype(m_prev_dtype);
        }
#endif
    }
    AutocastGuard(const AutocastGuard&) = delete;
    AutocastGuard& operator=(const AutocastGuard&) = delete;

private:
    bool m_enabled;
    bool m_cuda;
    bool m_prev_enabled = false;
    at::ScalarType m_prev_dtype = at::kFloat;
};

/// The key of a parameter's entry in torch::optim::Optimizer::state(): the TensorImpl's address
/// as text in LibTorch 1.x, the address itself where the map is keyed by pointer. A template so
/// that only the branch for this LibTorch's key type is compiled.
template <class T = torch::Tensor>
inline auto optimizer_state_key(const T& p) {
    using Key =
        typename std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;
    if constexpr (std::is_same_v<Key, std::string>)
        return c10::guts::to_string(p.unsafeGetTensorImpl());
    else
        return static_cast<Key>(p.unsafeGetTensorImpl());
}

}  // namespace wb::compat
