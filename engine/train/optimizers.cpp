// The optimizer factory: LibTorch's SGD, Adam and AdamW configured from OptimConfig.
#include "engine/train/optimizers.h"

#include <stdexcept>

namespace wb::engine {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<torch::Tensor> params,
                                                        const api::OptimConfig& c) {
    namespace optim = torch::optim;
    if (c.name == "sgd")
        return std::make_unique<optim::SGD>(
            params, optim::SGDOptions(c.lr).momentum(c.momentum).weight_decay(c.weight_decay));
    if (c.name == "adam")
        return std::make_unique<optim::Adam>(
            params,
            optim::AdamOptions(c.lr).betas({c.beta1, c.beta2}).weight_decay(c.weight_decay));
    if (c.name == "adamw")
        return std::make_unique<optim::AdamW>(
            params,
            optim::AdamWOptions(c.lr).betas({c.beta1, c.beta2}).weight_decay(c.weight_decay));
    throw std::invalid_argument("optim.name: unknown optimizer '" + c.name + "'");
}

}  // namespace wb::engine
