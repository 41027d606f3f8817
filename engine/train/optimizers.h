// Builds the optimizer named in the config (optim.name) for a set of parameters.
// New optimizers are added here and in the schema's optim.name choices.
#pragma once

#include <memory>
#include <vector>

#include <torch/torch.h>

#include "engine/api/run_config.h"

namespace wb::engine {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<torch::Tensor> params,
                                                        const api::OptimConfig& config);

}  // namespace wb::engine
