// The alternating GAN update and its diagnostics.
#include "engine/train/gan_trainer.h"

#include <nlohmann/json.hpp>

#include "engine/api/run_event.h"
#include "engine/data/mixture2d.h"
#include "engine/image_grid.h"
#include "engine/models/gan_models.h"
#include "engine/train/optimizers.h"
#include "kernels/mode_coverage.h"

namespace wb::engine {

namespace F = torch::nn::functional;

GanTrainer::GanTrainer(const api::RunConfig& config, torch::Device device, at::Generator gen)
    : TrainerBase(config, device, std::move(gen)), m_latent(config.model.latent_dim) {
    const auto& mc = config.model;
    if (mc.kind == "gan_mlp") {
        auto o = models::MlpGanOptions(mc.latent_dim, mc.width, mc.layers).pack(config.gan.pack);
        auto g = models::MlpGenerator(o);
        auto d = models::MlpDiscriminator(o);
        m_g_forward = [g](const torch::Tensor& z) mutable { return g->forward(z); };
        m_d_forward = [d](const torch::Tensor& x) mutable { return d->forward(x); };
        m_g = g.ptr();
        m_d = d.ptr();
        m_centers = data::mixture_centers(config.data.modes, config.data.radius);
    } else {
        m_images = true;
        auto o = models::DcganOptions(mc.latent_dim, mc.width).pack(config.gan.pack);
        auto g = models::DcGenerator(o);
        auto d = models::DcDiscriminator(o);
        models::dcgan_init(*g);
        models::dcgan_init(*d);
        m_g_forward = [g](const torch::Tensor& z) mutable { return g->forward(z); };
        m_d_forward = [d](const torch::Tensor& x) mutable { return d->forward(x); };
        m_g = g.ptr();
        m_d = d.ptr();
        m_data = data::load_fashion_mnist(config.data.path);
        m_sampler.emplace(m_data->train.images.size(0), static_cast<uint64_t>(config.train.seed));
        // A fixed noise batch makes successive sample grids show the same "people" evolving.
        auto fixed_gen = at::make_generator<at::CPUGeneratorImpl>(config.train.seed + 7919);
        m_fixed_noise = noise(64, fixed_gen);
    }
    m_g->to(m_device);
    m_d->to(m_device);
    m_opt_d = &add_optimizer("d", m_d->parameters());
    m_opt_g = &add_optimizer("g", m_g->parameters());
}

torch::Tensor GanTrainer::noise(int64_t n, at::Generator& gen) const {
    return torch::randn({n, m_latent}, gen).to(m_device);
}

torch::Tensor GanTrainer::real_batch() {
    const int64_t b = m_config.train.batch_size;
    if (!m_images) return data::sample_mixture(b, m_centers, m_config.data.std, m_gen).to(m_device);
    return m_data->train.images.index_select(0, m_sampler->next(b)).to(m_device);
}

StepOutput GanTrainer::step() {
    const int64_t b = m_config.train.batch_size;
    auto real = real_batch();
    torch::Tensor fake, d_real, d_fake, loss_d;
    {
        auto amp = autocast();
        fake = m_g_forward(noise(b, m_gen));
        // Discriminator: real -> 1, fake -> 0. Logits in fp32 so the loss is exact.
        d_real = m_d_forward(real).to(torch::kFloat32);
        d_fake = m_d_forward(fake.detach()).to(torch::kFloat32);
        loss_d = F::binary_cross_entropy_with_logits(d_real, torch::ones_like(d_real)) +
                 F::binary_cross_entropy_with_logits(d_fake, torch::zeros_like(d_fake));
    }
    m_opt_d->run(loss_d);

    // Generator, non-saturating: make the discriminator call the fakes real.
    torch::Tensor loss_g;
    {
        auto amp = autocast();
        auto d_gen = m_d_forward(fake).to(torch::kFloat32);
        loss_g = F::binary_cross_entropy_with_logits(d_gen, torch::ones_like(d_gen));
    }
    m_opt_g->run(loss_g);

    StepOutput out;
    out.samples = b;
    out.metrics = {{"loss/d", loss_d.item<double>()},
                   {"loss/g", loss_g.item<double>()},
                   {"gan/d_real", torch::sigmoid(d_real).mean().item<double>()},
                   {"gan/d_fake", torch::sigmoid(d_fake).mean().item<double>()}};
    return out;
}

torch::Tensor GanTrainer::generate(const torch::Tensor& z) {
    torch::NoGradGuard no_grad;
    m_g->eval();
    auto x = m_g_forward(z);
    m_g->train();
    return x.to(torch::kCPU);
}

std::vector<Metric> GanTrainer::evaluate(at::Generator& gen) {
    if (m_images) return {};  // image quality (FID) needs the domain feature extractor
    const int64_t n = m_config.eval.samples;
    auto pts = generate(noise(n, gen)).to(torch::kFloat32).contiguous();
    auto centers = m_centers.contiguous();
    auto cov =
        kernels::mode_coverage_cpu(pts.data_ptr<float>(), n, centers.data_ptr<float>(),
                                   centers.size(0), static_cast<float>(3.0 * m_config.data.std));
    return {{"quality/modes_covered", static_cast<double>(kernels::covered_modes(cov))},
            {"quality/hq_fraction", static_cast<double>(cov.hq_total) / static_cast<double>(n)}};
}

Sample GanTrainer::sample(at::Generator& gen) {
    if (m_images) return {api::kSamplePng, png_grid(generate(m_fixed_noise), 8)};
    const int64_t n = 1000;
    auto fake = generate(noise(n, gen));
    auto real =
        data::sample_mixture(n, m_config.data.modes, m_config.data.radius, m_config.data.std, gen);
    auto to_list = [](const torch::Tensor& t) {
        auto c = t.to(torch::kFloat32).contiguous();
        nlohmann::json a = nlohmann::json::array();
        const float* p = c.data_ptr<float>();
        for (int64_t i = 0; i < c.size(0); ++i) a.push_back({p[2 * i], p[2 * i + 1]});
        return a;
    };
    nlohmann::json j = {{"generated", to_list(fake)},
                        {"real", to_list(real)},
                        {"modes", to_list(m_centers)},
                        {"std", m_config.data.std}};
    return {api::kSamplePoints, j.dump()};
}

void GanTrainer::save(torch::serialize::OutputArchive& archive) {
    save_part(archive, "g", *m_g);
    save_part(archive, "d", *m_d);
    save_part(archive, "opt_g", m_opt_g->optimizer());
    save_part(archive, "opt_d", m_opt_d->optimizer());
    if (m_sampler) archive.write("sampler", c10::IValue(m_sampler->state().dump()));
}

void GanTrainer::load(torch::serialize::InputArchive& archive) {
    load_part(archive, "g", *m_g);
    load_part(archive, "d", *m_d);
    load_part(archive, "opt_g", m_opt_g->optimizer());
    load_part(archive, "opt_d", m_opt_d->optimizer());
    if (m_sampler) {
        c10::IValue v;
        archive.read("sampler", v);
        m_sampler->load_state(nlohmann::json::parse(v.toStringRef()));
    }
}

std::string GanTrainer::describe() const {
    return m_config.model.kind + ": generator " + std::to_string(parameter_count(*m_g)) +
           " parameters, discriminator " + std::to_string(parameter_count(*m_d)) + " parameters" +
           (m_data ? ", data " + m_data->source : ", data mixture2d (generated)");
}

}  // namespace wb::engine
