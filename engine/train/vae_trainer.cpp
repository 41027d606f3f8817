// One VAE step is one gradient step on the negative ELBO.
#include "engine/train/vae_trainer.h"

#include "engine/api/run_event.h"
#include "engine/data/difficulty.h"
#include "engine/image_grid.h"
#include "engine/train/optimizers.h"
#include "engine/train/sampling.h"

namespace wb::engine {

VaeTrainer::VaeTrainer(const api::RunConfig& config, torch::Device device, at::Generator gen)
    : TrainerBase(config, device, std::move(gen)),
      m_data(data::load_fashion_mnist(config.data.path)) {
    m_vae = models::make_vae(config);
    m_net = models::vae_network(m_vae);
    m_vae->to(m_device);
    m_opt = &add_optimizer("", m_vae->parameters());
    m_sampler = make_sampler(config, m_data.train.images.size(0),
                             [this] { return data::image_difficulty(m_data.train.images); });
    m_sampler->set_scorer([this](const torch::Tensor& indices) { return score(indices); });
    auto fixed_gen = at::make_generator<at::CPUGeneratorImpl>(config.train.seed + 7919);
    m_fixed_z = torch::randn({64, config.model.latent_dim}, fixed_gen).to(m_device);
}

StepOutput VaeTrainer::step() {
    const int64_t b = m_config.train.batch_size;
    const auto batch = m_sampler->next(b);
    auto x = m_data.train.images.index_select(0, batch.indices);
    const auto augment = image_augment(m_config.augment);
    if (augment.flip || augment.translate > 0) x = data::flip_translate(x, augment, m_gen);
    // Cutout only hides part of the encoder's input: the target stays whole, so the VAE learns
    // to fill holes instead of learning to generate them.
    auto input = augment.cutout > 0 ? data::cutout(x, augment.cutout, m_gen) : x;
    // Every rank draws the whole batch (and its noise), then trains on its share of it.
    x = m_shard.of(x).to(m_device);
    input = m_shard.of(input).to(m_device);
    auto eps = m_shard.of(torch::randn({b, m_config.model.latent_dim}, m_gen)).to(m_device);
    torch::Tensor per_image, objective;
    models::VaeLoss l;
    {
        auto amp = autocast();
        l = m_vae->per_image_loss(x, m_vae->forward(input, eps));
        per_image = l.recon + l.kl;
        objective = weighted_mean(per_image, m_shard.of(batch.weights));
    }
    m_opt->run(objective);
    m_sampler->report(batch.indices, gather(per_image.detach().cpu()));
    StepOutput s;
    s.samples = b;
    s.metrics = {{"loss/train", per_image.mean().item<double>()},
                 {"loss/recon", l.recon.mean().item<double>()},
                 {"loss/kl", l.kl.mean().item<double>()}};
    append_sampler_metrics(*m_sampler, &s.metrics);
    return s;
}

torch::Tensor VaeTrainer::score(const torch::Tensor& indices) {
    torch::NoGradGuard no_grad;
    auto x = m_data.train.images.index_select(0, indices).to(m_device);
    auto eps = torch::randn({indices.size(0), m_config.model.latent_dim}, m_gen).to(m_device);
    auto l = m_vae->per_image_loss(x, m_vae->forward(x, eps));
    return (l.recon + l.kl).cpu();
}

std::vector<Metric> VaeTrainer::evaluate(at::Generator& gen) {
    torch::NoGradGuard no_grad;
    const int64_t n = std::min<int64_t>(m_config.eval.samples, m_data.test.images.size(0));
    const int64_t chunk = 256;
    double recon = 0, kl = 0;
    for (int64_t i = 0; i < n; i += chunk) {
        const int64_t len = std::min(chunk, n - i);
        auto x = m_data.test.images.narrow(0, i, len).to(m_device);
        auto eps = torch::randn({len, m_config.model.latent_dim}, gen).to(m_device);
        auto l = m_vae->loss(x, m_vae->forward(x, eps));
        recon += l.recon.item<double>() * static_cast<double>(len);
        kl += l.kl.item<double>() * static_cast<double>(len);
    }
    recon /= static_cast<double>(n);
    kl /= static_cast<double>(n);
    return {{"loss/val", recon + kl}, {"loss/val_recon", recon}};
}

Sample VaeTrainer::sample(at::Generator&) {
    torch::NoGradGuard no_grad;
    auto images = torch::sigmoid(m_vae->decode(m_fixed_z)) * 2 - 1;
    return {api::kSamplePng, png_grid(images, 8)};
}

void VaeTrainer::save(torch::serialize::OutputArchive& archive) {
    save_part(archive, "vae", *m_vae);
    save_part(archive, "opt", m_opt->optimizer());
    save_sampler(archive, *m_sampler);
}

void VaeTrainer::load(torch::serialize::InputArchive& archive) {
    load_part(archive, "vae", *m_vae);
    load_part(archive, "opt", m_opt->optimizer());
    load_sampler(archive, *m_sampler);
}

std::string VaeTrainer::describe() const {
    return "vae: " + std::to_string(parameter_count(*m_vae)) + " parameters, data " + m_data.source;
}

torch::Tensor VaeTrainer::deploy_input() {
    return m_data.test.images.narrow(0, 0, std::min<int64_t>(64, m_data.test.images.size(0)))
        .to(m_device);
}

}  // namespace wb::engine
