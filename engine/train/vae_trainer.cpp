// One VAE step is one gradient step on the negative ELBO.
#include "engine/train/vae_trainer.h"

#include <nlohmann/json.hpp>

#include "engine/api/run_event.h"
#include "engine/image_grid.h"
#include "engine/train/optimizers.h"

namespace wb::engine {

VaeTrainer::VaeTrainer(const api::RunConfig& config, torch::Device device, at::Generator gen)
    : TrainerBase(config, device, std::move(gen)),
      m_data(data::load_fashion_mnist(config.data.path)) {
    m_vae = models::Vae(models::VaeOptions(config.model.latent_dim, config.model.width));
    m_vae->to(m_device);
    m_opt = &add_optimizer("", m_vae->parameters());
    m_sampler.emplace(m_data.train.images.size(0), static_cast<uint64_t>(config.train.seed));
    auto fixed_gen = at::make_generator<at::CPUGeneratorImpl>(config.train.seed + 7919);
    m_fixed_z = torch::randn({64, config.model.latent_dim}, fixed_gen).to(m_device);
}

StepOutput VaeTrainer::step() {
    const int64_t b = m_config.train.batch_size;
    auto x = m_data.train.images.index_select(0, m_sampler->next(b)).to(m_device);
    auto eps = torch::randn({b, m_config.model.latent_dim}, m_gen).to(m_device);
    models::VaeLoss l;
    {
        auto amp = autocast();
        l = m_vae->loss(x, m_vae->forward(x, eps));
    }
    auto total = l.recon + l.kl;
    m_opt->run(total);
    StepOutput s;
    s.samples = b;
    s.metrics = {{"loss/train", total.item<double>()},
                 {"loss/recon", l.recon.item<double>()},
                 {"loss/kl", l.kl.item<double>()}};
    return s;
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
    archive.write("sampler", c10::IValue(m_sampler->state().dump()));
}

void VaeTrainer::load(torch::serialize::InputArchive& archive) {
    load_part(archive, "vae", *m_vae);
    load_part(archive, "opt", m_opt->optimizer());
    c10::IValue v;
    archive.read("sampler", v);
    m_sampler->load_state(nlohmann::json::parse(v.toStringRef()));
}

std::string VaeTrainer::describe() const {
    return "vae: " + std::to_string(parameter_count(*m_vae)) + " parameters, data " + m_data.source;
}

}  // namespace wb::engine
