// Synthetic 2-D data for the toy GANs: a ring of Gaussian modes, the classic mode-collapse test.
// Sampling draws only from the caller's generator, so a run is reproducible from its seed.
#pragma once

#include <cstdint>

#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace wb::engine::data {

/// [modes,2] float32 centres evenly spaced on a circle of `radius`, the first at angle 0.
torch::Tensor mixture_centers(int64_t modes, double radius);

/// [n,2] float32 points: a uniformly chosen centre plus isotropic Gaussian noise of `std`.
torch::Tensor sample_mixture(int64_t n, int64_t modes, double radius, double std,
                             at::Generator& gen);

/// The same draw around precomputed `centers` ([modes,2] float32, from mixture_centers), which
/// saves a training loop the ops that rebuild them every batch.
torch::Tensor sample_mixture(int64_t n, const torch::Tensor& centers, double std,
                             at::Generator& gen);

}  // namespace wb::engine::data
