// FID and KID arithmetic. Everything runs in float64: covariances of ~100-dimensional features
// from a few thousand samples lose digits in float32 where the trace terms nearly cancel.
#include "engine/eval/frechet.h"

#include <algorithm>
#include <stdexcept>

namespace wb::engine::eval {

GaussianStats gaussian_stats(const torch::Tensor& features) {
    if (features.dim() != 2 || features.size(0) < 2)
        throw std::invalid_argument("gaussian_stats: need features [N >= 2, D]");
    auto f = features.to(torch::kCPU, torch::kFloat64);
    GaussianStats s;
    s.count = f.size(0);
    s.mu = f.mean(0);
    auto centred = f - s.mu;
    s.sigma = centred.t().mm(centred) / static_cast<double>(s.count - 1);
    return s;
}

torch::Tensor sqrtm_psd(const torch::Tensor& symmetric) {
    auto m = symmetric.to(torch::kFloat64);
    m = (m + m.t()) / 2;  // remove asymmetric round-off before eigh, which assumes symmetry
    auto [values, vectors] = torch::linalg::eigh(m, "L");
    return vectors.mm(torch::diag(values.clamp_min(0).sqrt())).mm(vectors.t());
}

double frechet_distance(const GaussianStats& a, const GaussianStats& b) {
    if (a.mu.numel() != b.mu.numel())
        throw std::invalid_argument("frechet_distance: feature sizes differ");
    auto s1 = a.sigma.to(torch::kFloat64), s2 = b.sigma.to(torch::kFloat64);
    auto root1 = sqrtm_psd(s1);
    auto inner = root1.mm(s2).mm(root1);
    inner = (inner + inner.t()) / 2;
    auto eig = torch::linalg::eigvalsh(inner, "L").clamp_min(0);
    const double mean_term =
        (a.mu.to(torch::kFloat64) - b.mu.to(torch::kFloat64)).pow(2).sum().item<double>();
    const double trace =
        (s1.trace() + s2.trace()).item<double>() - 2.0 * eig.sqrt().sum().item<double>();
    // Clamped at 0: a tiny negative value is round-off of identical statistics.
    return std::max(0.0, mean_term + trace);
}

namespace {

double mmd2_unbiased(const torch::Tensor& x, const torch::Tensor& y) {
    const double d = static_cast<double>(x.size(1));
    auto k = [d](const torch::Tensor& p, const torch::Tensor& q) {
        return (p.mm(q.t()) / d + 1.0).pow(3);
    };
    const double m = static_cast<double>(x.size(0)), n = static_cast<double>(y.size(0));
    auto kxx = k(x, x), kyy = k(y, y), kxy = k(x, y);
    const double sxx = (kxx.sum() - kxx.trace()).item<double>() / (m * (m - 1));
    const double syy = (kyy.sum() - kyy.trace()).item<double>() / (n * (n - 1));
    const double sxy = kxy.sum().item<double>() / (m * n);
    return sxx + syy - 2.0 * sxy;
}

}  // namespace

double kernel_distance(const torch::Tensor& a, const torch::Tensor& b, int64_t block) {
    if (a.dim() != 2 || b.dim() != 2 || a.size(1) != b.size(1) || a.size(0) < 2 || b.size(0) < 2)
        throw std::invalid_argument("kernel_distance: need features [N >= 2, D] of equal D");
    auto x = a.to(torch::kCPU, torch::kFloat64), y = b.to(torch::kCPU, torch::kFloat64);
    const int64_t size = std::max<int64_t>(2, std::min({block, x.size(0), y.size(0)}));
    const int64_t blocks = std::min(x.size(0), y.size(0)) / size;
    double total = 0;
    for (int64_t i = 0; i < blocks; ++i)
        total += mmd2_unbiased(x.narrow(0, i * size, size), y.narrow(0, i * size, size));
    return total / static_cast<double>(blocks);
}

}  // namespace wb::engine::eval
