// Fréchet distance (FID) and kernel distance (KID) between two sets of feature vectors, in float64.
// The features come from eval/feature_extractor.h so numbers are comparable across runs.
#pragma once

#include <torch/torch.h>

namespace wb::engine::eval {

/// Mean and covariance of a set of feature vectors, float64.
struct GaussianStats {
    torch::Tensor mu;     ///< [D]
    torch::Tensor sigma;  ///< [D, D], unbiased (divides by N - 1)
    int64_t count = 0;
};

/// Statistics of features [N, D] (N >= 2).
GaussianStats gaussian_stats(const torch::Tensor& features);

/// Symmetric positive semi-definite square root via eigendecomposition (negative round-off
/// eigenvalues are clamped to 0).
torch::Tensor sqrtm_psd(const torch::Tensor& symmetric);

/// |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2). The inner matrix is symmetric, so
/// its square root comes from an eigendecomposition, unlike scipy's general sqrtm in pytorch-fid;
/// the trace is the same.
double frechet_distance(const GaussianStats& a, const GaussianStats& b);

/// Unbiased squared MMD with the cubic polynomial kernel k(x, y) = (x.y / D + 1)^3 (Binkowski et
/// al. 2018), averaged over disjoint blocks of at most `block` samples of each set.
double kernel_distance(const torch::Tensor& a, const torch::Tensor& b, int64_t block = 1000);

}  // namespace wb::engine::eval
