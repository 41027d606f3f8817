// A custom autograd function: forward y = x W^T + b, backward dx = dy W, dW = dy^T x,
// db = sum(dy), each product one dnnl_sgemm call on row-major matrices.
#include "engine/models/cpu_gemm.h"

#include <stdexcept>

#if defined(WB_HAVE_ONEDNN)
#include <oneapi/dnnl/dnnl.h>
#endif

#include <ATen/autocast_mode.h>

namespace wb::models {

namespace {

thread_local CpuGemm t_gemm = CpuGemm::Blas;

#if defined(WB_HAVE_ONEDNN)
// C[M,N] = op(A) op(B) (+ C when accumulate), row-major, contiguous operands.
void sgemm(char ta, char tb, int64_t M, int64_t N, int64_t K, const torch::Tensor& A,
           const torch::Tensor& B, bool accumulate, torch::Tensor& C) {
    const int64_t lda = ta == 'N' ? K : M, ldb = tb == 'N' ? N : K;
    const dnnl_status_t s =
        dnnl_sgemm(ta, tb, M, N, K, 1.0f, A.data_ptr<float>(), lda, B.data_ptr<float>(), ldb,
                   accumulate ? 1.0f : 0.0f, C.data_ptr<float>(), N);
    if (s != dnnl_success)
        throw std::runtime_error("oneDNN sgemm failed (status " + std::to_string(s) +
                                 "); set train.cpu_gemm=blas to use LibTorch's BLAS");
}

struct OneDnnLinear : torch::autograd::Function<OneDnnLinear> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& w, const torch::Tensor& b) {
        const int64_t in = w.size(1), out = w.size(0);
        auto x2 = x.reshape({-1, in}).contiguous();
        auto wc = w.contiguous();
        const int64_t M = x2.size(0);
        const bool has_bias = b.numel() > 0;  // no bias: an empty tensor (autograd needs a device)
        // y starts as the bias broadcast over the rows and the product is added to it. A fresh
        // buffer: for one row, b.expand() is already "contiguous" and would be b itself.
        torch::Tensor y = torch::empty({M, out}, x.options());
        if (has_bias) y.copy_(b.expand({M, out}));
        sgemm('N', 'T', M, out, in, x2, wc, has_bias, y);
        ctx->save_for_backward({x2, wc});
        ctx->saved_data["has_bias"] = has_bias;
        auto shape = x.sizes().vec();
        shape.back() = out;
        return y.view(shape);
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& x2 = saved[0];
        const auto& w = saved[1];
        const int64_t M = x2.size(0), in = w.size(1), out = w.size(0);
        auto gy = grads[0].reshape({M, out}).contiguous();
        torch::Tensor dx, dw, db;
        if (ctx->needs_input_grad(0)) {
            auto dx2 = torch::empty({M, in}, gy.options());
            sgemm('N', 'N', M, in, out, gy, w, false, dx2);
            auto shape = grads[0].sizes().vec();
            shape.back() = in;
            dx = dx2.view(shape);
        }
        if (ctx->needs_input_grad(1)) {
            dw = torch::empty({out, in}, gy.options());
            sgemm('T', 'N', out, in, M, gy, x2, false, dw);
        }
        if (ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2)) db = gy.sum(0);
        return {dx, dw, db};
    }
};
#endif

}  // namespace

bool onednn_gemm_available() {
#if defined(WB_HAVE_ONEDNN)
    return true;
#else
    return false;
#endif
}

void set_cpu_gemm(CpuGemm gemm) {
    t_gemm = gemm;
}

CpuGemm cpu_gemm() {
    return t_gemm;
}

std::string cpu_gemm_name(CpuGemm gemm) {
    return gemm == CpuGemm::OneDnn && onednn_gemm_available() ? "onednn" : "blas";
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias) {
#if defined(WB_HAVE_ONEDNN)
    const bool fp32_cpu = x.device().is_cpu() && x.scalar_type() == torch::kFloat32 &&
                          weight.scalar_type() == torch::kFloat32 &&
                          (!bias.defined() || bias.scalar_type() == torch::kFloat32);
    if (t_gemm == CpuGemm::OneDnn && fp32_cpu && !at::autocast::is_cpu_enabled() && x.numel() > 0)
        return OneDnnLinear::apply(x, weight,
                                   bias.defined() ? bias : torch::empty({0}, x.options()));
#endif
    return torch::nn::functional::linear(x, weight, bias);
}

}  // namespace wb::models
