// GAN networks: an MLP pair for 2-D points and a DCGAN pair for 32x32 greyscale images.
// Discriminators return raw logits; the losses apply the sigmoid.
#pragma once

#include <torch/torch.h>

namespace wb::models {

struct MlpGanOptions {
    MlpGanOptions(int64_t latent_dim, int64_t width, int64_t layers)
        : latent_dim_(latent_dim), width_(width), layers_(layers) {}
    /// Noise size.
    TORCH_ARG(int64_t, latent_dim);
    /// Hidden units per layer.
    TORCH_ARG(int64_t, width);
    /// Hidden layers.
    TORCH_ARG(int64_t, layers);
    /// Size of a data point.
    TORCH_ARG(int64_t, data_dim) = 2;
    /// PacGAN: the discriminator sees this many points concatenated.
    TORCH_ARG(int64_t, pack) = 1;
};

struct MlpGeneratorImpl : torch::nn::Module {
    explicit MlpGeneratorImpl(const MlpGanOptions& o);
    torch::Tensor forward(const torch::Tensor& z);
    torch::nn::Sequential net;
};
TORCH_MODULE(MlpGenerator);

/// points [N, 2] -> logit [N / pack].
struct MlpDiscriminatorImpl : torch::nn::Module {
    explicit MlpDiscriminatorImpl(const MlpGanOptions& o);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Sequential net;
    int64_t pack;
};
TORCH_MODULE(MlpDiscriminator);

struct DcganOptions {
    DcganOptions(int64_t latent_dim, int64_t width) : latent_dim_(latent_dim), width_(width) {}
    /// Noise size.
    TORCH_ARG(int64_t, latent_dim);
    /// Channels of the 16x16 stage; 8x8 and 4x4 stages use 2x and 4x as many.
    TORCH_ARG(int64_t, width);
    /// Image channels.
    TORCH_ARG(int64_t, channels) = 1;
    /// PacGAN: the discriminator sees this many images stacked as channels.
    TORCH_ARG(int64_t, pack) = 1;
};

/// z [N, latent] -> image [N, C, 32, 32] in [-1, 1].
struct DcGeneratorImpl : torch::nn::Module {
    explicit DcGeneratorImpl(const DcganOptions& o);
    torch::Tensor forward(const torch::Tensor& z);
    torch::nn::Sequential net;
    int64_t latent_dim;
};
TORCH_MODULE(DcGenerator);

/// image [N, C, 32, 32] -> logit [N / pack].
struct DcDiscriminatorImpl : torch::nn::Module {
    explicit DcDiscriminatorImpl(const DcganOptions& o);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Sequential net;
    int64_t pack;
};
TORCH_MODULE(DcDiscriminator);

/// DCGAN paper initialisation: conv weights N(0, 0.02), batch-norm weights N(1, 0.02).
void dcgan_init(torch::nn::Module& m);

}  // namespace wb::models
