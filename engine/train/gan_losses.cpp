// Loss formulas on raw discriminator scores.
#include "engine/train/gan_losses.h"

#include <stdexcept>

namespace wb::engine {

namespace F = torch::nn::functional;

GanLoss gan_loss_from(const std::string& name) {
    if (name == "non_saturating") return GanLoss::NonSaturating;
    if (name == "hinge") return GanLoss::Hinge;
    if (name == "wgan_gp") return GanLoss::WganGp;
    throw std::invalid_argument("gan.loss: unknown loss '" + name +
                                "'; use non_saturating, hinge or wgan_gp");
}

torch::Tensor discriminator_loss(GanLoss loss, const torch::Tensor& d_real,
                                 const torch::Tensor& d_fake, const torch::Tensor& real_weights) {
    auto mean_real = [&](const torch::Tensor& per_sample) {
        return real_weights.defined() ? (per_sample * real_weights.to(per_sample.options())).mean()
                                      : per_sample.mean();
    };
    switch (loss) {
        case GanLoss::NonSaturating:
            return mean_real(F::softplus(-d_real)) + F::softplus(d_fake).mean();
        case GanLoss::Hinge:
            return mean_real(torch::relu(1.0 - d_real)) + torch::relu(1.0 + d_fake).mean();
        case GanLoss::WganGp:
            return d_fake.mean() + mean_real(kWganDrift * d_real.pow(2) - d_real);
    }
    throw std::logic_error("discriminator_loss: unset loss");
}

torch::Tensor real_difficulty(GanLoss loss, const torch::Tensor& d_real) {
    return loss == GanLoss::Hinge ? torch::relu(1.0 - d_real) : F::softplus(-d_real);
}

torch::Tensor generator_loss(GanLoss loss, const torch::Tensor& d_gen) {
    if (loss == GanLoss::NonSaturating)
        return F::binary_cross_entropy_with_logits(d_gen, torch::ones_like(d_gen));
    return -d_gen.mean();
}

torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& d,
                               const torch::Tensor& real, const torch::Tensor& fake, int64_t pack,
                               at::Generator& gen) {
    const int64_t groups = real.size(0) / pack;
    auto e = torch::rand({groups, 1}, gen).to(real.options());
    auto x_hat =
        (e * real.detach().reshape({groups, -1}) + (1 - e) * fake.detach().reshape({groups, -1}))
            .reshape(real.sizes())
            .requires_grad_(true);
    auto scores = d(x_hat);
    auto grad = torch::autograd::grad({scores.sum()}, {x_hat}, {}, /*retain_graph=*/true,
                                      /*create_graph=*/true)[0];
    auto norms = grad.reshape({groups, -1}).norm(2, 1);
    return (norms - 1).pow(2).mean();
}

double discriminator_accuracy(const torch::Tensor& d_real, const torch::Tensor& d_fake) {
    return 0.5 * ((d_real > 0).to(torch::kFloat64).mean().item<double>() +
                  (d_fake < 0).to(torch::kFloat64).mean().item<double>());
}

}  // namespace wb::engine
