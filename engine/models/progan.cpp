// ProGAN layers and the grown networks. Layout follows the paper's Table 2, scaled down to 32x32:
// each level adds two 3x3 convolutions, toRGB/fromRGB are 1x1 convolutions.
#include "engine/models/progan.h"

#include <cmath>

namespace wb::models {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

const double kSqrt2 = std::sqrt(2.0);

torch::Tensor lrelu(const torch::Tensor& x) {
    return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2));
}

// Both variants draw N(0, 1); without equalisation the He constant is applied once, here, so
// the two start from the same function and differ only in how the optimizer sees the weights.
torch::Tensor init_weight(std::vector<int64_t> shape, double scale, bool equalized) {
    auto w = torch::randn(shape);
    return equalized ? w : w.mul_(scale);
}

}  // namespace

int64_t progan_channels(int64_t width, int64_t level) {
    return level <= 1 ? 4 * width : level == 2 ? 2 * width : width;
}

EqConv2dImpl::EqConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t pad, double gain,
                           bool equalized)
    : padding(pad) {
    const double he = gain / std::sqrt(static_cast<double>(in * kernel * kernel));
    weight = register_parameter("weight", init_weight({out, in, kernel, kernel}, he, equalized));
    bias = register_parameter("bias", torch::zeros({out}));
    scale = equalized ? he : 1.0;
}

torch::Tensor EqConv2dImpl::forward(const torch::Tensor& x) {
    return F::conv2d(x, scale == 1.0 ? weight : weight * scale,
                     F::Conv2dFuncOptions().bias(bias).padding(padding));
}

EqLinearImpl::EqLinearImpl(int64_t in, int64_t out, double gain, bool equalized) {
    const double he = gain / std::sqrt(static_cast<double>(in));
    weight = register_parameter("weight", init_weight({out, in}, he, equalized));
    bias = register_parameter("bias", torch::zeros({out}));
    scale = equalized ? he : 1.0;
}

torch::Tensor EqLinearImpl::forward(const torch::Tensor& x) {
    return F::linear(x, scale == 1.0 ? weight : weight * scale, bias);
}

torch::Tensor pixel_norm(const torch::Tensor& x) {
    return x * torch::rsqrt(x.pow(2).mean(1, /*keepdim=*/true) + 1e-8);
}

torch::Tensor minibatch_stddev(const torch::Tensor& x, int64_t group) {
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    // A batch that does not split evenly is one group: a group of 1 would carry no signal.
    int64_t g = std::max<int64_t>(1, std::min(group, n));
    if (n % g != 0) g = n;
    auto y = x.reshape({g, n / g, c, h, w});
    y = y - y.mean(0, /*keepdim=*/true);
    auto sd = (y.pow(2).mean(0) + 1e-8).sqrt().mean({1, 2, 3});  // [n / g]
    auto channel = sd.view({1, n / g, 1, 1, 1}).expand({g, n / g, 1, h, w}).reshape({n, 1, h, w});
    return torch::cat({x, channel}, 1);
}

torch::Tensor upsample2x(const torch::Tensor& x) {
    return x.repeat_interleave(2, 2).repeat_interleave(2, 3);
}

torch::Tensor downsample2x(const torch::Tensor& x) {
    return F::avg_pool2d(x, F::AvgPool2dFuncOptions(2));
}

torch::Tensor progan_real_at(const torch::Tensor& images32, int64_t level, double alpha) {
    const int64_t factor = progan_side(kProganLevels - 1) / progan_side(level);
    auto x = factor == 1 ? images32 : F::avg_pool2d(images32, F::AvgPool2dFuncOptions(factor));
    if (level == 0 || alpha >= 1.0) return x;
    auto low = upsample2x(downsample2x(x));
    return low + (x - low) * alpha;
}

ProGeneratorImpl::ProGeneratorImpl(const ProganOptions& o) : options(o) {
    const bool eq = o.equalized_lr();
    for (int64_t level = 0; level < kProganLevels; ++level) {
        const int64_t ch = progan_channels(o.width(), level);
        nn::Sequential b;
        if (level == 0) {
            // The paper's "4x4 convolution" on a 1x1 input is a dense layer; its gain follows
            // the reference code (sqrt(2) / 4, i.e. He over the 16 output pixels).
            b->push_back(EqLinear(o.latent_dim(), ch * 16, kSqrt2 / 4, eq));
            b->push_back(nn::Functional([ch](const torch::Tensor& x) {
                return x.view({x.size(0), ch, 4, 4});
            }));
        } else {
            b->push_back(nn::Functional(upsample2x));
            b->push_back(EqConv2d(progan_channels(o.width(), level - 1), ch, 3, 1, kSqrt2, eq));
        }
        b->push_back(nn::Functional(lrelu));
        if (o.pixel_norm()) b->push_back(nn::Functional(pixel_norm));
        b->push_back(EqConv2d(ch, ch, 3, 1, kSqrt2, eq));
        b->push_back(nn::Functional(lrelu));
        if (o.pixel_norm()) b->push_back(nn::Functional(pixel_norm));
        blocks->push_back(b);
        to_rgb->push_back(EqConv2d(ch, o.channels(), 1, 0, 1.0, eq));
    }
    register_module("blocks", blocks);
    register_module("to_rgb", to_rgb);
}

torch::Tensor ProGeneratorImpl::block(int64_t level, const torch::Tensor& x) {
    return blocks->ptr<nn::SequentialImpl>(static_cast<size_t>(level))->forward(x);
}

torch::Tensor ProGeneratorImpl::forward(const torch::Tensor& z, int64_t level, double alpha) {
    TORCH_CHECK(level >= 0 && level < kProganLevels, "ProGAN level out of range: ", level);
    auto rgb = [this](int64_t l, const torch::Tensor& h) {
        return to_rgb->ptr<EqConv2dImpl>(static_cast<size_t>(l))->forward(h);
    };
    auto h = block(0, options.pixel_norm() ? pixel_norm(z) : z);
    for (int64_t l = 1; l < level; ++l) h = block(l, h);
    if (level == 0) return rgb(0, h);
    auto high = rgb(level, block(level, h));
    if (alpha >= 1.0) return high;
    auto low = upsample2x(rgb(level - 1, h));
    return low + (high - low) * alpha;
}

ProDiscriminatorImpl::ProDiscriminatorImpl(const ProganOptions& o) : options(o) {
    const bool eq = o.equalized_lr();
    for (int64_t level = 0; level < kProganLevels; ++level) {
        const int64_t ch = progan_channels(o.width(), level);
        nn::Sequential b;
        if (level == 0) {
            const int64_t in = ch + (o.minibatch_stddev() ? 1 : 0);
            if (o.minibatch_stddev()) {
                const int64_t group = o.stddev_group();
                b->push_back(nn::Functional(
                    [group](const torch::Tensor& x) { return minibatch_stddev(x, group); }));
            }
            b->push_back(EqConv2d(in, ch, 3, 1, kSqrt2, eq));
            b->push_back(nn::Functional(lrelu));
            b->push_back(nn::Flatten());
            b->push_back(EqLinear(ch * 16, ch, kSqrt2, eq));
            b->push_back(nn::Functional(lrelu));
            b->push_back(EqLinear(ch, 1, 1.0, eq));
        } else {
            b->push_back(EqConv2d(ch, ch, 3, 1, kSqrt2, eq));
            b->push_back(nn::Functional(lrelu));
            b->push_back(EqConv2d(ch, progan_channels(o.width(), level - 1), 3, 1, kSqrt2, eq));
            b->push_back(nn::Functional(lrelu));
            b->push_back(nn::Functional(downsample2x));
        }
        blocks->push_back(b);
        from_rgb->push_back(EqConv2d(o.channels() * o.pack(), ch, 1, 0, kSqrt2, eq));
    }
    register_module("blocks", blocks);
    register_module("from_rgb", from_rgb);
}

torch::Tensor ProDiscriminatorImpl::block(int64_t level, const torch::Tensor& x) {
    return blocks->ptr<nn::SequentialImpl>(static_cast<size_t>(level))->forward(x);
}

torch::Tensor ProDiscriminatorImpl::forward(const torch::Tensor& images, int64_t level,
                                            double alpha) {
    TORCH_CHECK(level >= 0 && level < kProganLevels, "ProGAN level out of range: ", level);
    auto x = images.reshape({images.size(0) / options.pack(), -1, images.size(2), images.size(3)});
    auto rgb = [this](int64_t l, const torch::Tensor& img) {
        return lrelu(from_rgb->ptr<EqConv2dImpl>(static_cast<size_t>(l))->forward(img));
    };
    auto h = rgb(level, x);
    if (level > 0) {
        h = block(level, h);
        if (alpha < 1.0) {
            auto low = rgb(level - 1, downsample2x(x));
            h = low + (h - low) * alpha;
        }
    }
    // blocks[l] (l >= 1) takes level-l features down to level l - 1; blocks[0] is the head.
    for (int64_t l = level > 0 ? level - 1 : 0; l >= 0; --l) h = block(l, h);
    return h.view({-1});
}

}  // namespace wb::models
