// Pruning works on the layouts the models describe (engine/models/layout.h), and measures what
// it bought on a deployable copy of the model a user ships.
#pragma once

#include <functional>
#include <memory>

#include "engine/models/layout.h"

namespace wb::prune {

using models::ChannelGroup;
using models::Layer;
using models::Layout;
using models::Slice;

/// A fresh copy, with the live weights, of the network a user deploys (a GAN's generator),
/// its layout under the same names and one forward pass of a fixed batch for timing.
struct Deployable {
    std::shared_ptr<torch::nn::Module> module;
    Layout layout;
    std::function<void()> infer;
    torch::Device device = torch::kCPU;
};

}  // namespace wb::prune
