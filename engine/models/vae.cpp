// VAE layers and the evidence lower bound's two terms.
#include "engine/models/vae.h"

namespace wb::models {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

VaeImpl::VaeImpl(const VaeOptions& o) : latent_dim(o.latent_dim()), width(o.width()) {
    const int64_t w = width;
    auto down = [](int64_t in, int64_t out) {
        return nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(2).padding(1));
    };
    auto up = [](int64_t in, int64_t out) {
        return nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1));
    };
    encoder->push_back(down(1, w));  // 32 -> 16
    encoder->push_back(nn::ReLU(true));
    encoder->push_back(down(w, w * 2));  // 16 -> 8
    encoder->push_back(nn::ReLU(true));
    encoder->push_back(down(w * 2, w * 4));  // 8 -> 4
    encoder->push_back(nn::ReLU(true));
    encoder->push_back(nn::Flatten());
    to_mu = nn::Linear(w * 4 * 16, latent_dim);
    to_logvar = nn::Linear(w * 4 * 16, latent_dim);
    from_z = nn::Linear(latent_dim, w * 4 * 16);
    decoder->push_back(nn::ReLU(true));
    decoder->push_back(nn::Unflatten(nn::UnflattenOptions(1, {w * 4, 4, 4})));
    decoder->push_back(up(w * 4, w * 2));  // 4 -> 8
    decoder->push_back(nn::ReLU(true));
    decoder->push_back(up(w * 2, w));  // 8 -> 16
    decoder->push_back(nn::ReLU(true));
    decoder->push_back(up(w, 1));  // 16 -> 32
    register_module("encoder", encoder);
    register_module("to_mu", to_mu);
    register_module("to_logvar", to_logvar);
    register_module("from_z", from_z);
    register_module("decoder", decoder);
}

std::pair<torch::Tensor, torch::Tensor> VaeImpl::encode(const torch::Tensor& x) {
    auto h = encoder->forward(x);
    return {to_mu->forward(h), to_logvar->forward(h)};
}

torch::Tensor VaeImpl::decode(const torch::Tensor& z) {
    return decoder->forward(from_z->forward(z));
}

VaeOutput VaeImpl::forward(const torch::Tensor& x, const torch::Tensor& eps) {
    auto [mu, logvar] = encode(x);
    auto z = mu + eps * torch::exp(0.5 * logvar);
    return {decode(z), mu, logvar};
}

VaeLoss VaeImpl::loss(const torch::Tensor& x, const VaeOutput& out) const {
    // In fp32 also under autocast: sums over many pixels need the mantissa.
    const auto target = (x.to(torch::kFloat32) + 1) * 0.5;
    const auto logits = out.logits.to(torch::kFloat32);
    const auto mu = out.mu.to(torch::kFloat32), logvar = out.logvar.to(torch::kFloat32);
    const double n = static_cast<double>(x.size(0));
    auto recon =
        F::binary_cross_entropy_with_logits(
            logits, target, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kSum)) /
        n;
    auto kl = -0.5 * torch::sum(1 + logvar - mu.pow(2) - logvar.exp()) / n;
    return {recon, kl};
}

VaeLoss VaeImpl::per_image_loss(const torch::Tensor& x, const VaeOutput& out) const {
    const auto target = (x + 1) * 0.5;
    auto recon = F::binary_cross_entropy_with_logits(
                     out.logits, target,
                     F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
                     .flatten(1)
                     .sum(1);
    auto kl = -0.5 * torch::sum(1 + out.logvar - out.mu.pow(2) - out.logvar.exp(), 1);
    return {recon, kl};
}

}  // namespace wb::models
