// ProGAN (Karras et al. 2018) generator and discriminator for 32x32 images, grown 4 -> 8 -> 16 ->
// 32, with equalised learning rate, pixel-wise feature normalisation and minibatch standard
// deviation.
#pragma once

#include <torch/torch.h>

namespace wb::models {

/// Number of resolutions: level 0 is 4x4, level 3 is 32x32.
inline constexpr int64_t kProganLevels = 4;

/// Side of the images at `level` (4 << level).
inline int64_t progan_side(int64_t level) {
    return int64_t{4} << level;
}

struct ProganOptions {
    ProganOptions(int64_t latent_dim, int64_t width) : latent_dim_(latent_dim), width_(width) {}
    /// Noise size.
    TORCH_ARG(int64_t, latent_dim);
    /// Channels of the 32x32 stage; 16x16 has 2x, 8x8 and 4x4 have 4x as many.
    TORCH_ARG(int64_t, width);
    /// Image channels.
    TORCH_ARG(int64_t, channels) = 1;
    /// PacGAN: the discriminator sees this many images stacked as channels.
    TORCH_ARG(int64_t, pack) = 1;
    /// Scale weights by He's constant at run time instead of at initialisation.
    TORCH_ARG(bool, equalized_lr) = true;
    /// Normalise each pixel's feature vector to unit length in the generator.
    TORCH_ARG(bool, pixel_norm) = true;
    /// Append the minibatch standard deviation as a feature map before the last D block.
    TORCH_ARG(bool, minibatch_stddev) = true;
    /// Samples per minibatch-stddev group (the whole batch when it does not divide evenly).
    TORCH_ARG(int64_t, stddev_group) = 4;
};

/// Channels at `level` for a given width: 4w, 4w, 2w, w.
int64_t progan_channels(int64_t width, int64_t level);

/// Convolution with an optional equalised learning rate: the weight is stored N(0, 1) and scaled by
/// gain / sqrt(fan_in) in every forward pass, so Adam's per-weight step sizes are the same for all
/// layers. Without it, the scale is folded into the initial weights (He initialisation).
struct EqConv2dImpl : torch::nn::Module {
    EqConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t padding, double gain,
                 bool equalized);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight, bias;
    double scale = 1.0;  ///< gain / sqrt(fan_in) when equalised, else 1
    int64_t padding = 0;
};
TORCH_MODULE(EqConv2d);

/// Linear layer with the same equalised-learning-rate treatment as EqConv2d.
struct EqLinearImpl : torch::nn::Module {
    EqLinearImpl(int64_t in, int64_t out, double gain, bool equalized);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight, bias;
    double scale = 1.0;
};
TORCH_MODULE(EqLinear);

/// x / sqrt(mean over channels of x^2 + 1e-8), per pixel.
torch::Tensor pixel_norm(const torch::Tensor& x);

/// Appends one channel holding, for each sample's group, the standard deviation of every feature
/// over the group averaged over channels and pixels. Sample i belongs to group i % (N / group), as
/// in the reference implementation; a batch that `group` does not divide is a single group.
torch::Tensor minibatch_stddev(const torch::Tensor& x, int64_t group);

/// Nearest-neighbour 2x upsampling and 2x average pooling, the two resamplers of the fade-in.
torch::Tensor upsample2x(const torch::Tensor& x);
torch::Tensor downsample2x(const torch::Tensor& x);

/// Real images [N, C, 32, 32] as the generator makes them at (level, alpha): average-pooled to the
/// level's side and, while fading in, blended with the upsampled lower resolution.
torch::Tensor progan_real_at(const torch::Tensor& images32, int64_t level, double alpha);

/// z [N, latent] -> image [N, C, side, side] (linear output, data range [-1, 1]).
struct ProGeneratorImpl : torch::nn::Module {
    explicit ProGeneratorImpl(const ProganOptions& o);
    /// At `level` with alpha < 1 the output is lerp(upsampled toRGB of the previous level, toRGB
    /// of the new block, alpha); alpha = 1 uses only the new block.
    torch::Tensor forward(const torch::Tensor& z, int64_t level, double alpha);
    torch::nn::ModuleList blocks, to_rgb;
    ProganOptions options;

private:
    torch::Tensor block(int64_t level, const torch::Tensor& x);
};
TORCH_MODULE(ProGenerator);

/// image [N, C, side, side] -> logit [N / pack].
struct ProDiscriminatorImpl : torch::nn::Module {
    explicit ProDiscriminatorImpl(const ProganOptions& o);
    /// At `level` with alpha < 1 the features entering the next lower block are
    /// lerp(fromRGB of the pooled image, the new block's output, alpha).
    torch::Tensor forward(const torch::Tensor& x, int64_t level, double alpha);
    torch::nn::ModuleList blocks, from_rgb;
    ProganOptions options;

private:
    torch::Tensor block(int64_t level, const torch::Tensor& x);
};
TORCH_MODULE(ProDiscriminator);

}  // namespace wb::models
