// The alternating GAN update and its diagnostics.
#include "engine/train/gan_trainer.h"

#include <nlohmann/json.hpp>

#include "engine/api/run_event.h"
#include "engine/data/difficulty.h"
#include "engine/data/mixture2d.h"
#include "engine/image_grid.h"
#include "engine/models/gan_models.h"
#include "engine/prune/layouts.h"
#include "engine/train/optimizers.h"
#include "engine/train/sampling.h"
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
        m_g_net = g->net;
        m_d_net = d->net;
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
        m_g_net = g->net;
        m_d_net = d->net;
        m_data = data::load_fashion_mnist(config.data.path);
        m_sampler = make_sampler(config, m_data->train.images.size(0),
                                 [this] { return data::image_difficulty(m_data->train.images); });
        m_sampler->set_scorer([this](const torch::Tensor& indices) { return score(indices); });
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

torch::Tensor GanTrainer::per_image_real_loss(const torch::Tensor& d_real) const {
    return F::binary_cross_entropy_with_logits(
               d_real, torch::ones_like(d_real),
               F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
        .repeat_interleave(m_config.gan.pack);
}

torch::Tensor GanTrainer::score(const torch::Tensor& indices) {
    torch::NoGradGuard no_grad;
    // The discriminator judges packs: pad the last one with copies, then drop their scores.
    const int64_t n = indices.size(0), pack = m_config.gan.pack;
    const int64_t padded = (n + pack - 1) / pack * pack;
    auto ids = padded == n
                   ? indices
                   : torch::cat({indices, indices.narrow(0, n - 1, 1).expand({padded - n})});
    auto real = m_data->train.images.index_select(0, ids).to(m_device);
    return per_image_real_loss(m_d_forward(real)).narrow(0, 0, n).cpu();
}

StepOutput GanTrainer::step() {
    const int64_t b = m_config.train.batch_size;
    std::optional<data::SamplerBatch> batch;
    torch::Tensor real;
    if (m_images) {
        batch = m_sampler->next(b);
        real = m_data->train.images.index_select(0, batch->indices);
        const auto augment = image_augment(m_config.augment);
        if (augment.flip || augment.translate > 0)
            real = data::flip_translate(real, augment, m_gen);
        if (augment.cutout > 0) real = data::cutout(real, augment.cutout, m_gen);
        real = real.to(m_device);
    } else {
        real = data::sample_mixture(b, m_centers, m_config.data.std, m_gen).to(m_device);
    }
    torch::Tensor fake, d_real, d_fake, real_per_image, loss_d;
    {
        auto amp = autocast();
        fake = m_g_forward(noise(b, m_gen));
        // Discriminator: real -> 1, fake -> 0. Logits in fp32 so the loss is exact; the real
        // term is importance-weighted per image.
        d_real = m_d_forward(real).to(torch::kFloat32);
        d_fake = m_d_forward(fake.detach()).to(torch::kFloat32);
        real_per_image = per_image_real_loss(d_real);
        auto real_term =
            batch ? weighted_mean(real_per_image, batch->weights) : real_per_image.mean();
        loss_d = real_term + F::binary_cross_entropy_with_logits(d_fake, torch::zeros_like(d_fake));
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
    if (batch) {
        m_sampler->report(batch->indices, real_per_image.detach());
        append_sampler_metrics(*m_sampler, &out.metrics);
    }
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
    if (m_sampler) save_sampler(archive, *m_sampler);
}

void GanTrainer::load(torch::serialize::InputArchive& archive) {
    load_part(archive, "g", *m_g);
    load_part(archive, "d", *m_d);
    load_part(archive, "opt_g", m_opt_g->optimizer());
    load_part(archive, "opt_d", m_opt_d->optimizer());
    if (m_sampler) load_sampler(archive, *m_sampler);
}

std::string GanTrainer::describe() const {
    return m_config.model.kind + ": generator " + std::to_string(parameter_count(*m_g)) +
           " parameters, discriminator " + std::to_string(parameter_count(*m_d)) + " parameters" +
           (m_data ? ", data " + m_data->source : ", data mixture2d (generated)");
}

}  // namespace wb::engine

namespace wb::engine {

prune::Layout GanTrainer::prune_layout() {
    auto layout = prune::sequential_layout(m_g_net, "g.net");
    prune::append(layout, prune::sequential_layout(m_d_net, "d.net"));
    return layout;
}

prune::Deployable GanTrainer::deployable() {
    const auto& mc = m_config.model;
    prune::Deployable d;
    torch::nn::Sequential net{nullptr};
    std::function<torch::Tensor(const torch::Tensor&)> forward;
    if (m_images) {
        auto g = models::DcGenerator(models::DcganOptions(mc.latent_dim, mc.width));
        d.module = g.ptr();
        net = g->net;
        forward = [g](const torch::Tensor& z) mutable { return g->forward(z); };
    } else {
        auto g = models::MlpGenerator(models::MlpGanOptions(mc.latent_dim, mc.width, mc.layers));
        d.module = g.ptr();
        net = g->net;
        forward = [g](const torch::Tensor& z) mutable { return g->forward(z); };
    }
    prune::copy_state(*m_g, *d.module);
    d.module->to(m_device);
    d.layout = prune::sequential_layout(net, "g.net");
    d.device = m_device;
    auto z = m_images ? m_fixed_noise : [this] {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(m_config.train.seed + 7919);
        return noise(1024, gen);
    }();
    d.infer = [forward, z] { forward(z); };
    return d;
}

}  // namespace wb::engine
