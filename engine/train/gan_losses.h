// The GAN objectives: non-saturating (Goodfellow et al. 2014), hinge (Lim & Ye 2017; Miyato et
// al. 2018) and WGAN-GP (Gulrajani et al. 2017) with ProGAN's drift term.
#pragma once

#include <functional>
#include <string>

#include <torch/torch.h>

namespace wb::engine {

enum class GanLoss { NonSaturating = 1, Hinge, WganGp };

/// "non_saturating" | "hinge" | "wgan_gp"; throws std::invalid_argument otherwise.
GanLoss gan_loss_from(const std::string& name);

/// WGAN-GP's drift weight (ProGAN): epsilon * D(real)^2 keeps the critic's scores near 0.
inline constexpr double kWganDrift = 1e-3;

/// Discriminator loss on raw scores (logits) of real and fake samples, without the penalty. The
/// real term is averaged with `real_weights` (one per score, e.g. a hard sampler's importance
/// weights) when given, else plainly.
torch::Tensor discriminator_loss(GanLoss loss, const torch::Tensor& d_real,
                                 const torch::Tensor& d_fake,
                                 const torch::Tensor& real_weights = {});
/// How wrong the discriminator is about each real sample, >= 0: softplus(-score) (the
/// non-saturating real term, also used for WGAN-GP whose own term can be negative) or, for
/// hinge, relu(1 - score). Hard-example mining ranks real images by it.
torch::Tensor real_difficulty(GanLoss loss, const torch::Tensor& d_real);
/// Generator loss on the discriminator's scores of fresh fakes.
torch::Tensor generator_loss(GanLoss loss, const torch::Tensor& d_gen);

/// mean over D outputs of (||grad_x D(x_hat)|| - 1)^2 with x_hat = e * real + (1 - e) * fake, e ~
/// U[0, 1) per discriminator sample (a pack of `pack` images shares one e and one norm).
torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& d,
                               const torch::Tensor& real, const torch::Tensor& fake, int64_t pack,
                               at::Generator& gen);

/// Share of real scored > 0 and fake scored < 0, averaged over both: the discriminator's accuracy.
double discriminator_accuracy(const torch::Tensor& d_real, const torch::Tensor& d_fake);

}  // namespace wb::engine
