// CPU references of the fused optimizer steps: the formulas, one element at a time.
#include "kernels/fused_optim.h"

#include <cmath>

namespace wb::kernels {
namespace {

struct Corrections {
    double bc1, bc2;
};

Corrections corrections(const FusedHyper& h) {
    return {1.0 - std::pow(h.beta1, static_cast<double>(h.step)),
            1.0 - std::pow(h.beta2, static_cast<double>(h.step))};
}

}  // namespace

// The loops are written once as always-inlined templates and compiled per instruction set by the
// target_clones wrappers below (AVX2 where the CPU has it, SSE2 otherwise), so they vectorise like
// LibTorch's own CPU kernels; -fno-math-errno (kernels/CMakeLists.txt) lets sqrt vectorise.
#define WB_INLINE inline __attribute__((always_inline))
#define WB_CLONES __attribute__((target_clones("avx2", "default")))

template <class T>
WB_INLINE void elementwise_impl(T* __restrict p, const T* __restrict g, T* __restrict m,
                                T* __restrict v, int64_t n, const FusedHyper& h) {
    const auto [bc1, bc2] = corrections(h);
    const T b1 = static_cast<T>(h.beta1), b2 = static_cast<T>(h.beta2);
    const T eps = static_cast<T>(h.eps), lr = static_cast<T>(h.lr);
    const T wd = static_cast<T>(h.weight_decay);
    const T step_size = static_cast<T>(h.lr / bc1);
    const T sqrt_bc2 = static_cast<T>(std::sqrt(bc2));
    const T decay = static_cast<T>(1.0 - h.lr * h.weight_decay);
    switch (h.kind) {
        case FusedKind::Adam:
            for (int64_t i = 0; i < n; ++i) {
                const T gi = wd != T(0) ? g[i] + wd * p[i] : g[i];
                m[i] = m[i] * b1 + gi * (T(1) - b1);
                v[i] = v[i] * b2 + gi * gi * (T(1) - b2);
                p[i] -= step_size * m[i] / (std::sqrt(v[i]) / sqrt_bc2 + eps);
            }
            break;
        case FusedKind::AdamW:
            for (int64_t i = 0; i < n; ++i) {
                if (wd != T(0)) p[i] *= decay;
                m[i] = m[i] * b1 + g[i] * (T(1) - b1);
                v[i] = v[i] * b2 + g[i] * g[i] * (T(1) - b2);
                p[i] -= step_size * m[i] / (std::sqrt(v[i]) / sqrt_bc2 + eps);
            }
            break;
        case FusedKind::AdaBelief:
            for (int64_t i = 0; i < n; ++i) {
                m[i] = m[i] * b1 + g[i] * (T(1) - b1);
                const T d = g[i] - m[i];
                v[i] = v[i] * b2 + d * d * (T(1) - b2) + eps;
                if (wd != T(0)) p[i] -= lr * wd * p[i];
                p[i] -= step_size * m[i] / (std::sqrt(v[i]) / sqrt_bc2 + eps);
            }
            break;
        case FusedKind::Lamb:
            break;  // two stages: lamb_moments_cpu + lamb_apply_cpu
    }
}

template <class T>
WB_INLINE void lamb_moments_impl(const T* __restrict p, const T* __restrict g, T* __restrict m,
                                 T* __restrict v, int64_t n, const FusedHyper& h, double* p_sq,
                                 double* u_sq) {
    const auto [bc1, bc2] = corrections(h);
    const T b1 = static_cast<T>(h.beta1), b2 = static_cast<T>(h.beta2);
    const T eps = static_cast<T>(h.eps), wd = static_cast<T>(h.weight_decay);
    const T inv_bc1 = static_cast<T>(1.0 / bc1), inv_bc2 = static_cast<T>(1.0 / bc2);
    double ps = 0, us = 0;
    for (int64_t i = 0; i < n; ++i) {
        m[i] = m[i] * b1 + g[i] * (T(1) - b1);
        v[i] = v[i] * b2 + g[i] * g[i] * (T(1) - b2);
        const T u = m[i] * inv_bc1 / (std::sqrt(v[i] * inv_bc2) + eps) + wd * p[i];
        ps += static_cast<double>(p[i]) * static_cast<double>(p[i]);
        us += static_cast<double>(u) * static_cast<double>(u);
    }
    *p_sq += ps;
    *u_sq += us;
}

template <class T>
WB_INLINE void lamb_apply_impl(T* __restrict p, const T* __restrict m, const T* __restrict v,
                               int64_t n, const FusedHyper& h, double ratio) {
    const auto [bc1, bc2] = corrections(h);
    const T eps = static_cast<T>(h.eps), wd = static_cast<T>(h.weight_decay);
    const T inv_bc1 = static_cast<T>(1.0 / bc1), inv_bc2 = static_cast<T>(1.0 / bc2);
    const T scale = static_cast<T>(h.lr * ratio);
    for (int64_t i = 0; i < n; ++i) {
        const T u = m[i] * inv_bc1 / (std::sqrt(v[i] * inv_bc2) + eps) + wd * p[i];
        p[i] -= scale * u;
    }
}

double lamb_trust_ratio(double p_sq, double u_sq) {
    return p_sq > 0 && u_sq > 0 ? std::sqrt(p_sq) / std::sqrt(u_sq) : 1.0;
}

#define WB_FUSED_CPU(T)                                                                            \
    WB_CLONES void elementwise_##T(T* p, const T* g, T* m, T* v, int64_t n, const FusedHyper& h) { \
        elementwise_impl<T>(p, g, m, v, n, h);                                                     \
    }                                                                                              \
    WB_CLONES void lamb_moments_##T(const T* p, const T* g, T* m, T* v, int64_t n,                 \
                                    const FusedHyper& h, double* p_sq, double* u_sq) {             \
        lamb_moments_impl<T>(p, g, m, v, n, h, p_sq, u_sq);                                        \
    }                                                                                              \
    WB_CLONES void lamb_apply_##T(T* p, const T* m, const T* v, int64_t n, const FusedHyper& h,    \
                                  double ratio) {                                                  \
        lamb_apply_impl<T>(p, m, v, n, h, ratio);                                                  \
    }                                                                                              \
    template <>                                                                                    \
    void fused_elementwise_cpu<T>(T * p, const T* g, T* m, T* v, int64_t n, const FusedHyper& h) { \
        elementwise_##T(p, g, m, v, n, h);                                                         \
    }                                                                                              \
    template <>                                                                                    \
    void lamb_moments_cpu<T>(const T* p, const T* g, T* m, T* v, int64_t n, const FusedHyper& h,   \
                             double* p_sq, double* u_sq) {                                         \
        lamb_moments_##T(p, g, m, v, n, h, p_sq, u_sq);                                            \
    }                                                                                              \
    template <>                                                                                    \
    void lamb_apply_cpu<T>(T * p, const T* m, const T* v, int64_t n, const FusedHyper& h,          \
                           double ratio) {                                                         \
        lamb_apply_##T(p, m, v, n, h, ratio);                                                      \
    }

WB_FUSED_CPU(float)
WB_FUSED_CPU(double)

}  // namespace wb::kernels
