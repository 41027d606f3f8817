// Network: one built network of a model, with how a deployment calls it and its layout, and the
// builders every model family uses for it (the trainer, the deployable copy that pruning times,
// and export build through the same function, so a network is written down once).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "engine/api/run_config.h"
#include "engine/models/gan_models.h"
#include "engine/models/gpt.h"
#include "engine/models/layout.h"
#include "engine/models/progan.h"
#include "engine/models/vae.h"

namespace wb::models {

/// Sizes the data or the training decides rather than the config: a language model's
/// vocabulary, and its depth and width once it has grown (0: the config's model.*).
struct DataDims {
    int64_t vocab = 0;
    int64_t layers = 0;
    int64_t width = 0;
};

struct Network {
    std::shared_ptr<torch::nn::Module> module;
    /// The forward pass as deployed: ProGAN at full resolution, the VAE with its mean code.
    std::function<torch::Tensor(const torch::Tensor&)> forward;
    /// Its weights and structured units, named as its tensors are in the run's checkpoint
    /// (prefixed with the network's name where the model has several).
    std::function<Layout()> layout;
};

/// The MLP GAN's and DCGAN's generator ("g") or discriminator ("d"), initialised as their
/// papers do; throws std::invalid_argument for another name.
Network mlp_gan_network(const api::RunConfig& config, const std::string& name);
Network dcgan_network(const api::RunConfig& config, const std::string& name);

/// ProGAN's networks, typed for the trainer's resolution-dependent forward passes.
ProGenerator make_progan_generator(const api::RunConfig& config);
ProDiscriminator make_progan_discriminator(const api::RunConfig& config);
Network progan_network(ProGenerator g);
Network progan_network(ProDiscriminator d);

Vae make_vae(const api::RunConfig& config);
Network vae_network(Vae vae);

/// The GPT's options for `dims` (vocabulary; layers and width where set, with heads of
/// model.width / model.heads units each).
GptOptions gpt_options(const api::RunConfig& config, const DataDims& dims);
Gpt make_gpt(const api::RunConfig& config, const DataDims& dims);
/// The sizes a GPT's weights in a trainer's checkpoint state have: vocabulary and width from the
/// token embedding, layers from its blocks.
DataDims gpt_dims(torch::serialize::InputArchive& trainer_state);
Network gpt_network(Gpt gpt);

}  // namespace wb::models
