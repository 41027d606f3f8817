// Convolutional variational autoencoder for 32x32 greyscale images (Kingma & Welling 2014).
// The decoder returns Bernoulli logits; images in [-1, 1] are mapped to [0, 1] targets.
#pragma once

#include <torch/torch.h>

namespace wb::models {

struct VaeOptions {
    VaeOptions(int64_t latent_dim, int64_t width) : latent_dim_(latent_dim), width_(width) {}
    /// Size of the latent code.
    TORCH_ARG(int64_t, latent_dim);
    /// Channels of the first conv stage; the next stages use 2x and 4x.
    TORCH_ARG(int64_t, width);
};

struct VaeOutput {
    torch::Tensor logits, mu, logvar;
};

struct VaeLoss {
    torch::Tensor recon;  ///< mean over the batch of the per-image summed BCE
    torch::Tensor kl;     ///< mean over the batch of KL(q(z|x) || N(0, I))
};

struct VaeImpl : torch::nn::Module {
    explicit VaeImpl(const VaeOptions& o);
    std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& x);
    torch::Tensor decode(const torch::Tensor& z);
    /// `eps` is the reparameterisation noise, drawn by the caller so that it owns the RNG.
    VaeOutput forward(const torch::Tensor& x, const torch::Tensor& eps);
    VaeLoss loss(const torch::Tensor& x, const VaeOutput& out) const;
    /// The same two terms per image, [B] each (for per-example weights and hard mining).
    VaeLoss per_image_loss(const torch::Tensor& x, const VaeOutput& out) const;

    torch::nn::Sequential encoder, decoder;
    torch::nn::Linear to_mu{nullptr}, to_logvar{nullptr}, from_z{nullptr};
    int64_t latent_dim, width;
};
TORCH_MODULE(Vae);

}  // namespace wb::models
