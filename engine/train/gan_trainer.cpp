// The GAN update (D steps, then one G step), its schedules and diagnostics.
#include "engine/train/gan_trainer.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/api/run_event.h"
#include "engine/data/difficulty.h"
#include "engine/data/mixture2d.h"
#include "engine/image_grid.h"
#include "engine/models/gan_models.h"
#include "engine/models/progan.h"
#include "engine/prune/layouts.h"
#include "engine/train/optimizers.h"
#include "engine/train/sampling.h"
#include "kernels/mode_coverage.h"

namespace wb::engine {

GanTrainer::GanTrainer(const api::RunConfig& config, torch::Device device, at::Generator gen)
    : TrainerBase(config, device, std::move(gen)),
      m_images(config.model.kind != "gan_mlp"),
      m_progan(config.model.kind == "progan"),
      m_latent(config.model.latent_dim),
      m_loss(gan_loss_from(config.gan.loss)),
      m_augment(parse_diff_augment(config.augment.diff)),
      m_d_steps(config.gan.d_steps_per_g, config.gan.d_steps_adaptive, config.gan.d_steps_max,
                config.gan.d_target_accuracy) {
    m_g = make_generator();
    m_d = make_discriminator();
    if (m_images) {
        m_data = data::load_fashion_mnist(config.data.path);
        m_sampler = make_sampler(config, m_data->train.images.size(0),
                                 [this] { return data::image_difficulty(m_data->train.images); });
        m_sampler->set_scorer([this](const torch::Tensor& indices) { return score(indices); });
        // A fixed noise batch makes successive sample grids show the same "people" evolving.
        auto fixed_gen = at::make_generator<at::CPUGeneratorImpl>(config.train.seed + 7919);
        m_fixed_noise = noise(64, fixed_gen);
        if (config.eval.fid)
            m_fid.emplace(
                config.eval.extractor, *m_data, config.eval.samples,
                [this](const std::string& level, const std::string& text) { m_log(level, text); },
                [this](const std::string& json) { m_attribute("fid_extractor", json); });
    } else {
        m_centers = data::mixture_centers(config.data.modes, config.data.radius);
    }
    if (m_progan && config.progressive.enabled)
        m_phase = progressive_phase(0, config.progressive.fade_images,
                                    config.progressive.stable_images, models::kProganLevels);
    for (auto* net : {&m_g, &m_d}) net->module->to(m_device);
    m_opt_d = &add_optimizer("d", m_d.module->parameters());
    m_opt_g = &add_optimizer("g", m_g.module->parameters());
}

GanTrainer::Net GanTrainer::make_generator() {
    const auto& mc = m_config.model;
    if (mc.kind == "gan_mlp") {
        auto g = models::MlpGenerator(models::MlpGanOptions(mc.latent_dim, mc.width, mc.layers));
        return {g.ptr(), [g](const torch::Tensor& z) mutable { return g->forward(z); }, g->net};
    }
    if (mc.kind == "progan") {
        auto g = models::ProGenerator(models::ProganOptions(mc.latent_dim, mc.width)
                                          .equalized_lr(mc.equalized_lr)
                                          .pixel_norm(mc.pixel_norm));
        return {g.ptr(), [g, this](const torch::Tensor& z) mutable {
                    return g->forward(z, m_phase.level, m_phase.alpha);
                }};
    }
    auto g = models::DcGenerator(models::DcganOptions(mc.latent_dim, mc.width));
    models::dcgan_init(*g);
    return {g.ptr(), [g](const torch::Tensor& z) mutable { return g->forward(z); }, g->net};
}

GanTrainer::Net GanTrainer::make_discriminator() {
    const auto& mc = m_config.model;
    const int64_t pack = m_config.gan.pack;
    if (mc.kind == "gan_mlp") {
        auto d = models::MlpDiscriminator(
            models::MlpGanOptions(mc.latent_dim, mc.width, mc.layers).pack(pack));
        return {d.ptr(), [d](const torch::Tensor& x) mutable { return d->forward(x); }, d->net};
    }
    if (mc.kind == "progan") {
        auto d = models::ProDiscriminator(models::ProganOptions(mc.latent_dim, mc.width)
                                              .pack(pack)
                                              .equalized_lr(mc.equalized_lr)
                                              .minibatch_stddev(mc.minibatch_stddev));
        return {d.ptr(), [d, this](const torch::Tensor& x) mutable {
                    return d->forward(x, m_phase.level, m_phase.alpha);
                }};
    }
    auto d = models::DcDiscriminator(models::DcganOptions(mc.latent_dim, mc.width).pack(pack));
    models::dcgan_init(*d);
    return {d.ptr(), [d](const torch::Tensor& x) mutable { return d->forward(x); }, d->net};
}

torch::Tensor GanTrainer::noise(int64_t n, at::Generator& gen) const {
    return torch::randn({n, m_latent}, gen).to(m_device);
}

int64_t GanTrainer::batch_size() const {
    const auto& p = m_config.progressive;
    if (!m_progan || !p.enabled) return m_config.train.batch_size;
    const int64_t by_level[] = {p.batch_4, p.batch_8, p.batch_16, p.batch_32};
    const int64_t b = by_level[m_phase.level];
    return b > 0 ? b : m_config.train.batch_size;
}

torch::Tensor GanTrainer::real_batch(int64_t n, std::optional<data::SamplerBatch>* batch) {
    if (!m_images) return data::sample_mixture(n, m_centers, m_config.data.std, m_gen).to(m_device);
    *batch = m_sampler->next(n);
    auto x = m_data->train.images.index_select(0, (*batch)->indices);
    const auto aug = image_augment(m_config.augment);
    if (aug.flip || aug.translate > 0) x = data::flip_translate(x, aug, m_gen);
    if (aug.cutout > 0) x = data::cutout(x, aug.cutout, m_gen);
    x = x.to(m_device);
    // Real images go through the same resolution and fade as the generator's output.
    return m_progan ? models::progan_real_at(x, m_phase.level, m_phase.alpha) : x;
}

torch::Tensor GanTrainer::per_image_real_loss(const torch::Tensor& d_real) const {
    return real_difficulty(m_loss, d_real).repeat_interleave(m_config.gan.pack);
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
    if (m_progan) real = models::progan_real_at(real, m_phase.level, m_phase.alpha);
    auto d_real = m_d.forward(real).to(torch::kFloat32);
    return per_image_real_loss(d_real).narrow(0, 0, n).cpu();
}

torch::Tensor GanTrainer::augment(const torch::Tensor& x) {
    return m_augment.any() ? diff_augment(x, m_augment, m_gen) : x;
}

StepOutput GanTrainer::step() {
    if (m_progan && m_config.progressive.enabled)
        m_phase = progressive_phase(m_images_seen, m_config.progressive.fade_images,
                                    m_config.progressive.stable_images, models::kProganLevels);
    const int64_t b = batch_size(), d_steps = m_d_steps.steps();
    const int64_t pack = m_config.gan.pack;
    torch::Tensor fake, d_real, d_fake, loss_d, penalty;
    std::optional<data::SamplerBatch> batch;
    for (int64_t i = 0; i < d_steps; ++i) {
        {
            auto amp = autocast();
            auto real = augment(real_batch(b, &batch));
            fake = m_g.forward(noise(b, m_gen));
            auto fake_seen = augment(fake.detach());
            // Scores in fp32 so the losses are exact under autocast.
            d_real = m_d.forward(real).to(torch::kFloat32);
            d_fake = m_d.forward(fake_seen).to(torch::kFloat32);
            // A hard sampler's importance weights, one per discriminator score (pack).
            torch::Tensor weights;
            if (batch && m_config.sampler.kind == "hard" && m_config.sampler.beta > 0)
                weights = batch->weights.view({-1, pack}).mean(1);
            loss_d = discriminator_loss(m_loss, d_real, d_fake, weights);
            if (m_loss == GanLoss::WganGp) {
                penalty =
                    gradient_penalty(m_d.forward, real, fake_seen, pack, m_gen).to(torch::kFloat32);
                loss_d = loss_d + m_config.gan.gp_weight * penalty;
            }
        }
        m_opt_d->run(loss_d);
        m_images_seen += b;
        if (batch) m_sampler->report(batch->indices, per_image_real_loss(d_real.detach()));
    }

    // Generator: the discriminator's verdict on the last fakes, through the same augmentation.
    torch::Tensor loss_g;
    {
        auto amp = autocast();
        auto d_gen = m_d.forward(augment(fake)).to(torch::kFloat32);
        loss_g = generator_loss(m_loss, d_gen);
    }
    m_opt_g->run(loss_g);

    const double accuracy = discriminator_accuracy(d_real, d_fake);
    m_d_steps.observe(accuracy);

    StepOutput out;
    out.samples = b * d_steps;
    out.metrics = {{"loss/d", loss_d.item<double>()},
                   {"loss/g", loss_g.item<double>()},
                   {"gan/d_accuracy", accuracy},
                   {"gan/d_steps", static_cast<double>(d_steps)}};
    if (m_loss == GanLoss::NonSaturating) {
        out.metrics.push_back({"gan/d_real", torch::sigmoid(d_real).mean().item<double>()});
        out.metrics.push_back({"gan/d_fake", torch::sigmoid(d_fake).mean().item<double>()});
    } else {
        out.metrics.push_back({"gan/d_real_score", d_real.mean().item<double>()});
        out.metrics.push_back({"gan/d_fake_score", d_fake.mean().item<double>()});
    }
    if (penalty.defined()) out.metrics.push_back({"loss/gp", penalty.item<double>()});
    if (m_progan) {
        out.metrics.push_back(
            {"progressive/resolution", static_cast<double>(models::progan_side(m_phase.level))});
        out.metrics.push_back({"progressive/alpha", m_phase.alpha});
        out.metrics.push_back({"progressive/images_seen", static_cast<double>(m_images_seen)});
    }
    if (batch) append_sampler_metrics(*m_sampler, &out.metrics);
    return out;
}

torch::Tensor GanTrainer::generate(const torch::Tensor& z) {
    torch::NoGradGuard no_grad;
    // With gan.g_ema on, the EMA extension has swapped the averaged weights in around this.
    m_g.module->eval();
    auto x = m_g.forward(z);
    m_g.module->train();
    return x.to(torch::kCPU);
}

std::vector<Metric> GanTrainer::evaluate(at::Generator& gen) {
    if (m_images) {
        if (!m_fid) return {};
        std::vector<Metric> out;
        for (auto& [name, value] :
             m_fid->measure([&](int64_t k) { return generate(noise(k, gen)); }))
            out.push_back({name, value});
        return out;
    }
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
    // Low-resolution phases are shown at 32x32 by pixel repetition, so grids keep one size.
    if (m_images)
        return {api::kSamplePng, png_grid(eval::upscale_to_32(generate(m_fixed_noise)), 8)};
    const int64_t n = 1000;
    auto fake = generate(noise(n, gen));
    auto real = data::sample_mixture(n, m_centers, m_config.data.std, gen);
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
    save_part(archive, "g", *m_g.module);
    save_part(archive, "d", *m_d.module);
    save_part(archive, "opt_g", m_opt_g->optimizer());
    save_part(archive, "opt_d", m_opt_d->optimizer());
    if (m_sampler) save_sampler(archive, *m_sampler);
    const nlohmann::json state = {{"images_seen", m_images_seen}, {"d_steps", m_d_steps.state()}};
    archive.write("gan_state", c10::IValue(state.dump()));
}

void GanTrainer::load(torch::serialize::InputArchive& archive) {
    load_part(archive, "g", *m_g.module);
    load_part(archive, "d", *m_d.module);
    load_part(archive, "opt_g", m_opt_g->optimizer());
    load_part(archive, "opt_d", m_opt_d->optimizer());
    if (m_sampler) load_sampler(archive, *m_sampler);
    c10::IValue v;
    if (archive.try_read("gan_state", v)) {  // absent in checkpoints of older versions
        const auto state = nlohmann::json::parse(v.toStringRef());
        m_images_seen = state.at("images_seen").get<int64_t>();
        m_d_steps.load_state(state.at("d_steps").get<std::string>());
    }
    if (m_progan && m_config.progressive.enabled)
        m_phase = progressive_phase(m_images_seen, m_config.progressive.fade_images,
                                    m_config.progressive.stable_images, models::kProganLevels);
}

std::string GanTrainer::describe() const {
    return m_config.model.kind + ": generator " + std::to_string(parameter_count(*m_g.module)) +
           " parameters, discriminator " + std::to_string(parameter_count(*m_d.module)) +
           " parameters" + (m_data ? ", data " + m_data->source : ", data mixture2d (generated)");
}

}  // namespace wb::engine

namespace wb::engine {

torch::nn::Module* GanTrainer::network(const std::string& name) {
    if (name == "g") return m_g.module.get();
    if (name == "d") return m_d.module.get();
    return nullptr;
}

prune::Layout GanTrainer::prune_layout() {
    if (m_progan) {
        auto layout = prune::progan_layout(*m_g.module, "g", true);
        prune::append(layout, prune::progan_layout(*m_d.module, "d", false));
        return layout;
    }
    auto layout = prune::sequential_layout(m_g.net, "g.net");
    prune::append(layout, prune::sequential_layout(m_d.net, "d.net"));
    return layout;
}

prune::Deployable GanTrainer::deployable() {
    // A fresh generator (no EMA: the pruned weights are the trained ones) at full resolution.
    Net g = make_generator();
    prune::Deployable d;
    d.module = g.module;
    prune::copy_state(*m_g.module, *d.module);
    d.module->to(m_device);
    d.layout = m_progan ? prune::progan_layout(*d.module, "g", true)
                        : prune::sequential_layout(g.net, "g.net");
    d.device = m_device;
    auto z = m_images ? m_fixed_noise : [this] {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(m_config.train.seed + 7919);
        return noise(1024, gen);
    }();
    std::function<torch::Tensor(const torch::Tensor&)> forward = g.forward;
    if (auto pro = std::dynamic_pointer_cast<models::ProGeneratorImpl>(d.module))
        forward = [pro](const torch::Tensor& x) {
            return pro->forward(x, models::kProganLevels - 1, 1.0);
        };
    d.infer = [forward, z] { forward(z); };
    return d;
}

}  // namespace wb::engine
