// Fused optimizer steps: the whole per-element update of Adam/AdamW, AdaBelief and LAMB in one
// pass over memory, instead of about ten separate tensor operations per parameter tensor.
//
// The CPU functions are the references (plain loops over raw pointers, float or double). The CUDA
// functions apply one update to a whole list of tensors with one kernel launch per 36 tensors
// (multi-tensor apply, in the manner of NVIDIA apex's FusedAdam/FusedLAMB); LAMB needs a second
// launch because its trust ratio depends on whole-tensor norms.
#pragma once

#include <cstdint>
#include <vector>

namespace wb::kernels {

enum class FusedKind {
    Adam,       ///< L2 decay added to the gradient (torch::optim::Adam)
    AdamW,      ///< decoupled decay: p *= 1 - lr*wd before the update (torch::optim::AdamW)
    AdaBelief,  ///< Adam over the gradient's deviation from its mean, decoupled decay
    Lamb,       ///< Adam direction plus decay, scaled per tensor by |p| / |u|
};

/// Hyper-parameters of one step; `step` counts from 1 (bias correction).
struct FusedHyper {
    FusedKind kind = FusedKind::Adam;
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0;
    int64_t step = 1;
};

/// Adam, AdamW or AdaBelief on n elements: p, m (first moment) and v (second moment, or the
/// "belief" variance for AdaBelief) are updated in place from g.
template <class T>
void fused_elementwise_cpu(T* p, const T* g, T* m, T* v, int64_t n, const FusedHyper& h);

/// LAMB stage 1 on n elements: updates m and v in place and adds sum(p^2) and sum(u^2), where
/// u = m_hat / (sqrt(v_hat) + eps) + wd * p, to *p_sq and *u_sq (so chunks can be summed).
template <class T>
void lamb_moments_cpu(const T* p, const T* g, T* m, T* v, int64_t n, const FusedHyper& h,
                      double* p_sq, double* u_sq);
/// LAMB stage 2: p -= lr * ratio * u, recomputing u from the updated m and v.
template <class T>
void lamb_apply_cpu(T* p, const T* m, const T* v, int64_t n, const FusedHyper& h, double ratio);
/// LAMB's trust ratio from the two sums: |p| / |u|, or 1 when either norm is 0.
double lamb_trust_ratio(double p_sq, double u_sq);

// Defined for float and double in fused_optim.cpp.
#define WB_FUSED_CPU_DECLARE(T)                                                                   \
    template <>                                                                                   \
    void fused_elementwise_cpu<T>(T * p, const T* g, T* m, T* v, int64_t n, const FusedHyper& h); \
    template <>                                                                                   \
    void lamb_moments_cpu<T>(const T* p, const T* g, T* m, T* v, int64_t n, const FusedHyper& h,  \
                             double* p_sq, double* u_sq);                                         \
    template <>                                                                                   \
    void lamb_apply_cpu<T>(T * p, const T* m, const T* v, int64_t n, const FusedHyper& h,         \
                           double ratio);
WB_FUSED_CPU_DECLARE(float)
WB_FUSED_CPU_DECLARE(double)
#undef WB_FUSED_CPU_DECLARE

/// One parameter tensor for the CUDA path (float32, device memory, contiguous).
struct DeviceTensor {
    float* p = nullptr;
    const float* g = nullptr;
    float* m = nullptr;
    float* v = nullptr;
    int64_t n = 0;
};

#if defined(WB_HAVE_CUDA_KERNELS)
/// Applies one step to every tensor of the list on the current device's default stream
/// (asynchronously); throws std::runtime_error on a CUDA error.
void fused_step_cuda(const std::vector<DeviceTensor>& tensors, const FusedHyper& h);
#endif

}  // namespace wb::kernels
