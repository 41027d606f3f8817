// Dispatch of fused optimizer steps to the CPU loops or the CUDA multi-tensor kernels.
#include "engine/optim/fused_update.h"

#include <ATen/Parallel.h>

namespace wb::optim {
namespace {

constexpr int64_t kCpuChunk = 1 << 15;

template <class T>
void cpu_slot(const FusedSlot& s, const kernels::FusedHyper& h) {
    T* p = s.param.data_ptr<T>();
    const T* g = s.grad.data_ptr<T>();
    T* m = s.m.data_ptr<T>();
    T* v = s.v.data_ptr<T>();
    const int64_t n = s.param.numel();
    const int64_t chunks = (n + kCpuChunk - 1) / kCpuChunk;
    if (h.kind != kernels::FusedKind::Lamb) {
        at::parallel_for(0, chunks, 1, [&](int64_t b, int64_t e) {
            for (int64_t c = b; c < e; ++c) {
                const int64_t off = c * kCpuChunk, len = std::min(kCpuChunk, n - off);
                kernels::fused_elementwise_cpu<T>(p + off, g + off, m + off, v + off, len, h);
            }
        });
        return;
    }
    std::vector<double> p_sq(static_cast<std::size_t>(chunks)), u_sq(p_sq.size());
    at::parallel_for(0, chunks, 1, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) {
            const int64_t off = c * kCpuChunk, len = std::min(kCpuChunk, n - off);
            kernels::lamb_moments_cpu<T>(p + off, g + off, m + off, v + off, len, h, &p_sq[c],
                                         &u_sq[c]);
        }
    });
    double ps = 0, us = 0;
    for (std::size_t c = 0; c < p_sq.size(); ++c) ps += p_sq[c], us += u_sq[c];
    const double ratio = kernels::lamb_trust_ratio(ps, us);
    at::parallel_for(0, chunks, 1, [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) {
            const int64_t off = c * kCpuChunk, len = std::min(kCpuChunk, n - off);
            kernels::lamb_apply_cpu<T>(p + off, m + off, v + off, len, h, ratio);
        }
    });
}

bool same_layout(const FusedSlot& s) {
    const auto& p = s.param;
    for (const auto* t : {&s.grad, &s.m, &s.v})
        if (!t->defined() || t->device() != p.device() || t->scalar_type() != p.scalar_type() ||
            !t->is_contiguous() || t->numel() != p.numel())
            return false;
    return p.is_contiguous();
}

}  // namespace

bool fused_supported(const std::vector<FusedSlot>& slots) {
    if (slots.empty()) return true;
    const auto device = slots.front().param.device();
    for (const auto& s : slots) {
        if (s.param.device() != device || !same_layout(s)) return false;
        const auto t = s.param.scalar_type();
        if (device.is_cpu() ? (t != torch::kFloat32 && t != torch::kFloat64) : t != torch::kFloat32)
            return false;
    }
#if defined(WB_HAVE_CUDA_KERNELS)
    return device.is_cpu() || device.is_cuda();
#else
    return device.is_cpu();
#endif
}

void fused_update(const std::vector<FusedSlot>& slots, const kernels::FusedHyper& h) {
    if (slots.empty()) return;
    torch::NoGradGuard no_grad;
    if (slots.front().param.is_cpu()) {
        for (const auto& s : slots) {
            if (s.param.scalar_type() == torch::kFloat64)
                cpu_slot<double>(s, h);
            else
                cpu_slot<float>(s, h);
        }
        return;
    }
#if defined(WB_HAVE_CUDA_KERNELS)
    std::vector<kernels::DeviceTensor> list;
    list.reserve(slots.size());
    for (const auto& s : slots)
        list.push_back({s.param.data_ptr<float>(), s.grad.data_ptr<float>(), s.m.data_ptr<float>(),
                        s.v.data_ptr<float>(), s.param.numel()});
    kernels::fused_step_cuda(list, h);
#else
    TORCH_CHECK(false, "fused optimizer step: no kernel for device ", slots.front().param.device());
#endif
}

}  // namespace wb::optim
