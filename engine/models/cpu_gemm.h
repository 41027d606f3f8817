// Fully connected layers through oneDNN's JIT-compiled sgemm on the CPU. LibTorch's CPU matmul
// calls the system BLAS; Debian's OpenBLAS 0.3.21 runs its AVX2 (Haswell) kernels on AMD Zen 4
// and reaches about 60-90 GFLOP/s on one core, where oneDNN's sgemm, compiled for the CPU it
// runs on, reaches 150-190 (bench/run, README). Same arithmetic, different kernel: results
// agree to float rounding.
#pragma once

#include <string>

#include <torch/torch.h>

namespace wb::models {

enum class CpuGemm { Blas, OneDnn };

/// Whether this build links oneDNN (libdnnl-dev at configure time).
bool onednn_gemm_available();
/// train.cpu_gemm: "onednn" or "blas". Per thread, like at::set_num_threads: the run thread sets
/// it before it builds the model. "onednn" without oneDNN in the build falls back to BLAS.
void set_cpu_gemm(CpuGemm gemm);
CpuGemm cpu_gemm();
/// What set_cpu_gemm(g) actually uses in this build ("onednn" or "blas").
std::string cpu_gemm_name(CpuGemm gemm);

/// x [..., in] -> x W^T + b [..., out], with W [out, in] and b [out] or undefined. oneDNN when
/// the thread's choice is OneDnn, everything is fp32 on the CPU and autocast is off; otherwise
/// torch::nn::functional::linear. Supports one backward (no double backward: a gradient
/// penalty through these layers would need the LibTorch path).
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias = {});

}  // namespace wb::models
