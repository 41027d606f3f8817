// The layouts of the workbench's networks: which weights pruning (and quantization) may touch and
// which tensor slices make up each channel, neuron or attention head. They live with the models:
// a new network gets its layout here, and no compression feature needs to know it.
#pragma once

#include "engine/models/gan_models.h"
#include "engine/models/gpt.h"
#include "engine/models/layout.h"
#include "engine/models/progan.h"
#include "engine/models/vae.h"

namespace wb::models {

/// A Sequential of Linear / Conv2d / ConvTranspose2d layers (with BatchNorm2d and activations
/// between them), named `prefix`.<index>: the MLP GAN and DCGAN networks. Every layer's outputs
/// except the last one's form a channel group.
Layout sequential_layout(torch::nn::Sequential& net, const std::string& prefix);

Layout vae_layout(models::VaeImpl& vae);

/// Attention groups are whole heads (q, k, v rows and the projection's columns); MLP groups
/// are hidden neurons.
Layout gpt_layout(models::GptImpl& gpt);

/// ProGAN's equalised-LR convolutions and linear layers under `prefix` (g or d), for the
/// unstructured methods only (no channel groups: its blocks feed both the next block and a
/// toRGB/fromRGB branch). The default selection leaves out the toRGB/fromRGB layers and the
/// network's outermost block layer (the generator's first, the discriminator's last).
Layout progan_layout(torch::nn::Module& net, const std::string& prefix, bool generator);

}  // namespace wb::models
