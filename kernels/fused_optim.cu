// Multi-tensor fused optimizer steps on CUDA. The host cuts every tensor of the list into chunks
// of kChunk elements and passes up to kMaxTensors tensors and kMaxBlocks chunks in the kernel's
// argument block, so one launch updates many tensors (as NVIDIA apex's multi_tensor_apply does).
// Each thread block handles one chunk with a grid-stride loop. LAMB's stage 1 also accumulates
// per-tensor sums of p^2 and u^2 (block reduction + one atomicAdd per block), and stage 2 applies
// the trust ratio. Checked against the CPU references in fused_optim.cpp on GPU machines.
#include <cuda_runtime.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/fused_optim.h"

namespace wb::kernels {
namespace {

constexpr int kMaxTensors = 36;
constexpr int kMaxBlocks = 300;  // keeps ListArgs + DeviceHyper under the 4 KiB argument limit
constexpr int64_t kChunk = 65536;
constexpr int kThreads = 256;

struct ListArgs {
    float* p[kMaxTensors];
    const float* g[kMaxTensors];
    float* m[kMaxTensors];
    float* v[kMaxTensors];
    int64_t n[kMaxTensors];
    int tensor_of_block[kMaxBlocks];
    int chunk_of_block[kMaxBlocks];
    int index[kMaxTensors];  ///< each slot's position in the whole list (LAMB's norm sums)
};

struct DeviceHyper {
    FusedKind kind;
    float lr, beta1, beta2, eps, weight_decay, step_size, sqrt_bc2, inv_bc1, inv_bc2, decay;
};

__device__ __forceinline__ float lamb_u(float m, float v, float p, const DeviceHyper& h) {
    return m * h.inv_bc1 / (sqrtf(v * h.inv_bc2) + h.eps) + h.weight_decay * p;
}

__global__ void elementwise_kernel(ListArgs a, DeviceHyper h) {
    const int t = a.tensor_of_block[blockIdx.x];
    const int64_t begin = static_cast<int64_t>(a.chunk_of_block[blockIdx.x]) * kChunk;
    const int64_t end = min(begin + kChunk, a.n[t]);
    float* p = a.p[t];
    const float* g = a.g[t];
    float* m = a.m[t];
    float* v = a.v[t];
    for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
        float pi = p[i], gi = g[i], mi = m[i], vi = v[i];
        switch (h.kind) {
            case FusedKind::Adam:
                if (h.weight_decay != 0.f) gi += h.weight_decay * pi;
                mi = mi * h.beta1 + gi * (1.f - h.beta1);
                vi = vi * h.beta2 + gi * gi * (1.f - h.beta2);
                break;
            case FusedKind::AdamW:
                if (h.weight_decay != 0.f) pi *= h.decay;
                mi = mi * h.beta1 + gi * (1.f - h.beta1);
                vi = vi * h.beta2 + gi * gi * (1.f - h.beta2);
                break;
            case FusedKind::AdaBelief: {
                mi = mi * h.beta1 + gi * (1.f - h.beta1);
                const float d = gi - mi;
                vi = vi * h.beta2 + d * d * (1.f - h.beta2) + h.eps;
                if (h.weight_decay != 0.f) pi -= h.lr * h.weight_decay * pi;
                break;
            }
            case FusedKind::Lamb:
                break;
        }
        pi -= h.step_size * mi / (sqrtf(vi) / h.sqrt_bc2 + h.eps);
        p[i] = pi;
        m[i] = mi;
        v[i] = vi;
    }
}

__global__ void lamb_moments_kernel(ListArgs a, DeviceHyper h, double* sums) {
    const int t = a.tensor_of_block[blockIdx.x];
    const int64_t begin = static_cast<int64_t>(a.chunk_of_block[blockIdx.x]) * kChunk;
    const int64_t end = min(begin + kChunk, a.n[t]);
    const float* p = a.p[t];
    const float* g = a.g[t];
    float* m = a.m[t];
    float* v = a.v[t];
    double ps = 0, us = 0;
    for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
        const float gi = g[i];
        const float mi = m[i] * h.beta1 + gi * (1.f - h.beta1);
        const float vi = v[i] * h.beta2 + gi * gi * (1.f - h.beta2);
        m[i] = mi;
        v[i] = vi;
        const float u = lamb_u(mi, vi, p[i], h);
        ps += static_cast<double>(p[i]) * p[i];
        us += static_cast<double>(u) * u;
    }
    __shared__ double sp[kThreads], su[kThreads];
    sp[threadIdx.x] = ps;
    su[threadIdx.x] = us;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            sp[threadIdx.x] += sp[threadIdx.x + s];
            su[threadIdx.x] += su[threadIdx.x + s];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        atomicAdd(&sums[2 * (a.index[t])], sp[0]);
        atomicAdd(&sums[2 * (a.index[t]) + 1], su[0]);
    }
}

__global__ void lamb_apply_kernel(ListArgs a, DeviceHyper h, const double* sums) {
    const int t = a.tensor_of_block[blockIdx.x];
    const int64_t begin = static_cast<int64_t>(a.chunk_of_block[blockIdx.x]) * kChunk;
    const int64_t end = min(begin + kChunk, a.n[t]);
    const double p_sq = sums[2 * (a.index[t])], u_sq = sums[2 * (a.index[t]) + 1];
    const float ratio = p_sq > 0 && u_sq > 0 ? static_cast<float>(sqrt(p_sq) / sqrt(u_sq)) : 1.f;
    const float scale = h.lr * ratio;
    float* p = a.p[t];
    const float* m = a.m[t];
    const float* v = a.v[t];
    for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x)
        p[i] -= scale * lamb_u(m[i], v[i], p[i], h);
}

void check(cudaError_t e, const char* what) {
    if (e != cudaSuccess)
        throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

DeviceHyper device_hyper(const FusedHyper& h) {
    const double bc1 = 1.0 - std::pow(h.beta1, static_cast<double>(h.step));
    const double bc2 = 1.0 - std::pow(h.beta2, static_cast<double>(h.step));
    DeviceHyper d;
    d.kind = h.kind;
    d.lr = static_cast<float>(h.lr);
    d.beta1 = static_cast<float>(h.beta1);
    d.beta2 = static_cast<float>(h.beta2);
    d.eps = static_cast<float>(h.eps);
    d.weight_decay = static_cast<float>(h.weight_decay);
    d.step_size = static_cast<float>(h.lr / bc1);
    d.sqrt_bc2 = static_cast<float>(std::sqrt(bc2));
    d.inv_bc1 = static_cast<float>(1.0 / bc1);
    d.inv_bc2 = static_cast<float>(1.0 / bc2);
    d.decay = static_cast<float>(1.0 - h.lr * h.weight_decay);
    return d;
}

// Calls launch(args, blocks) for successive groups of at most kMaxTensors tensors and kMaxBlocks
// chunks; a tensor with more chunks than fit continues in the next launch.
template <class Launch>
void for_each_launch(const std::vector<DeviceTensor>& list, Launch launch) {
    ListArgs a{};
    int tensors = 0, blocks = 0;
    auto flush = [&] {
        if (blocks > 0) launch(a, blocks);
        tensors = blocks = 0;
    };
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& d = list[i];
        const int64_t chunks = (d.n + kChunk - 1) / kChunk;
        for (int64_t c = 0; c < chunks; ++c) {
            if (blocks == kMaxBlocks) flush();
            const bool has_slot = tensors > 0 && a.index[tensors - 1] == static_cast<int>(i);
            if (!has_slot) {
                if (tensors == kMaxTensors) flush();
                a.p[tensors] = d.p;
                a.g[tensors] = d.g;
                a.m[tensors] = d.m;
                a.v[tensors] = d.v;
                a.n[tensors] = d.n;
                a.index[tensors] = static_cast<int>(i);
                ++tensors;
            }
            a.tensor_of_block[blocks] = tensors - 1;
            a.chunk_of_block[blocks] = static_cast<int>(c);
            ++blocks;
        }
    }
    flush();
}

}  // namespace

void fused_step_cuda(const std::vector<DeviceTensor>& tensors, const FusedHyper& h) {
    const DeviceHyper dh = device_hyper(h);
    if (h.kind != FusedKind::Lamb) {
        for_each_launch(tensors, [&](const ListArgs& a, int blocks) {
            elementwise_kernel<<<blocks, kThreads>>>(a, dh);
        });
        check(cudaGetLastError(), "fused optimizer kernel");
        return;
    }
    double* sums = nullptr;
    const std::size_t bytes = sizeof(double) * 2 * tensors.size();
    check(cudaMallocAsync(reinterpret_cast<void**>(&sums), bytes, nullptr), "cudaMallocAsync");
    check(cudaMemsetAsync(sums, 0, bytes, nullptr), "cudaMemsetAsync");
    for_each_launch(tensors, [&](const ListArgs& a, int blocks) {
        lamb_moments_kernel<<<blocks, kThreads>>>(a, dh, sums);
    });
    for_each_launch(tensors, [&](const ListArgs& a, int blocks) {
        lamb_apply_kernel<<<blocks, kThreads>>>(a, dh, sums);
    });
    const cudaError_t launched = cudaGetLastError();
    cudaFreeAsync(sums, nullptr);
    check(launched, "fused LAMB kernels");
}

}  // namespace wb::kernels
