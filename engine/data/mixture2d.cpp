#include "engine/data/mixture2d.h"

#include <cmath>
#include <string>

#include <torch/torch.h>

#include "engine/data/data_error.h"

namespace wb::engine::data {
namespace {

constexpr double kPi = 3.14159265358979323846;

void check_shape(int64_t modes, double radius) {
    if (modes < 1) {
        throw DataError("mixture of Gaussians: " + std::to_string(modes) +
                        " modes requested; use at least 1");
    }
    if (!std::isfinite(radius) || radius < 0.0) {
        throw DataError("mixture of Gaussians: radius " + std::to_string(radius) +
                        " is not a finite non-negative number");
    }
}

}  // namespace

torch::Tensor mixture_centers(int64_t modes, double radius) {
    check_shape(modes, radius);
    // Angles in float64 so the last centre lands where it should even for many modes.
    const torch::Tensor angles =
        torch::arange(modes, torch::kFloat64) * (2.0 * kPi / static_cast<double>(modes));
    return torch::stack({angles.cos(), angles.sin()}, 1).mul_(radius).to(torch::kFloat32);
}

torch::Tensor sample_mixture(int64_t n, int64_t modes, double radius, double std,
                             at::Generator& gen) {
    return sample_mixture(n, mixture_centers(modes, radius), std, gen);
}

torch::Tensor sample_mixture(int64_t n, const torch::Tensor& centers, double std,
                             at::Generator& gen) {
    if (n < 0) {
        throw DataError("mixture of Gaussians: " + std::to_string(n) + " samples requested");
    }
    if (!std::isfinite(std) || std < 0.0) {
        throw DataError("mixture of Gaussians: standard deviation " + std::to_string(std) +
                        " is not a finite non-negative number");
    }
    const torch::Tensor mode = torch::randint(0, centers.size(0), {n}, gen, torch::kInt64);
    const torch::Tensor noise = torch::randn({n, 2}, gen, torch::kFloat32);
    return centers.index_select(0, mode).add_(noise, std);
}

}  // namespace wb::engine::data
