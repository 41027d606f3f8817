// The GAN update (D steps, then one G step), its schedules and diagnostics.
#include "engine/train/gan_trainer.h"

#include <nlohmann/json.hpp>

#include "engine/train/optimizers.h"
#include "engine/train/sampling.h"

namespace wb::engine {

GanTrainer::GanTrainer(const api::RunConfig& config, torch::Device device, at::Generator gen,
                       std::unique_ptr<GanArch> arch)
    : TrainerBase(config, device, std::move(gen)),
      m_latent(config.model.latent_dim),
      m_loss(gan_loss_from(config.gan.loss)),
      m_augment(parse_diff_augment(config.augment.diff)),
      m_d_steps(config.gan.d_steps_per_g, config.gan.d_steps_adaptive, config.gan.d_steps_max,
                config.gan.d_target_accuracy),
      m_hard_weights(config.sampler.kind == "hard" && config.sampler.beta > 0),
      m_arch(std::move(arch)) {
    GanDataHooks hooks;
    hooks.judge = [this](const torch::Tensor& real) { return judge(real); };
    hooks.log = [this](const std::string& level, const std::string& text) { m_log(level, text); };
    hooks.fid_identity = [this](const std::string& json) { m_attribute("fid_extractor", json); };
    m_data = make_gan_data(config, m_gen, std::move(hooks));
    auto fixed_gen = at::make_generator<at::CPUGeneratorImpl>(config.train.seed + 7919);
    m_fixed_noise = noise(m_data->preview_count(), fixed_gen);
    for (auto* net : {&m_arch->g, &m_arch->d}) net->module->to(m_device);
    m_opt_d = &add_optimizer("d", m_arch->d.module->parameters());
    m_opt_g = &add_optimizer("g", m_arch->g.module->parameters());
}

torch::Tensor GanTrainer::noise(int64_t n, at::Generator& gen) const {
    return torch::randn({n, m_latent}, gen).to(m_device);
}

torch::Tensor GanTrainer::real_batch(int64_t n, std::optional<data::SamplerBatch>* batch) {
    // Every rank draws the whole batch, then trains on its share of it.
    return m_arch->real_at(m_shard.of(m_data->next(n, batch)).to(m_device));
}

torch::Tensor GanTrainer::per_image_real_loss(const torch::Tensor& d_real) const {
    return real_difficulty(m_loss, d_real).repeat_interleave(m_config.gan.pack);
}

torch::Tensor GanTrainer::judge(const torch::Tensor& real) {
    torch::NoGradGuard no_grad;
    auto d_real = m_arch->discriminate(m_arch->real_at(real.to(m_device))).to(torch::kFloat32);
    return per_image_real_loss(d_real).cpu();
}

torch::Tensor GanTrainer::augment(const torch::Tensor& x) {
    return m_augment.any() ? diff_augment(x, m_augment, m_gen) : x;
}

StepOutput GanTrainer::step() {
    m_arch->set_images_seen(m_images_seen);
    const int64_t b = m_arch->batch_size(), d_steps = m_d_steps.steps();
    const int64_t pack = m_config.gan.pack;
    auto discriminate = [this](const torch::Tensor& x) { return m_arch->discriminate(x); };
    torch::Tensor fake, d_real, d_fake, loss_d, penalty;
    std::optional<data::SamplerBatch> batch;
    const auto stats = batch_stats();
    for (int64_t i = 0; i < d_steps; ++i) {
        {
            auto amp = autocast();
            auto real = augment(real_batch(b, &batch));
            fake = m_arch->generate(m_shard.of(noise(b, m_gen)));
            auto fake_seen = augment(fake.detach());
            // Scores in fp32 so the losses are exact under autocast.
            d_real = discriminate(real).to(torch::kFloat32);
            d_fake = discriminate(fake_seen).to(torch::kFloat32);
            // A hard sampler's importance weights, one per discriminator score (pack).
            torch::Tensor weights;
            if (batch && m_hard_weights)
                weights = m_shard.of(batch->weights).view({-1, pack}).mean(1);
            loss_d = discriminator_loss(m_loss, d_real, d_fake, weights);
            if (m_loss == GanLoss::WganGp) {
                penalty = gradient_penalty(discriminate, real, fake_seen, pack, m_gen)
                              .to(torch::kFloat32);
                loss_d = loss_d + m_config.gan.gp_weight * penalty;
            }
        }
        m_opt_d->run(loss_d);
        m_images_seen += b;
        if (batch)
            m_data->sampler()->report(batch->indices,
                                      gather(per_image_real_loss(d_real.detach()).cpu()));
    }

    // Generator: the discriminator's verdict on the last fakes, through the same augmentation.
    torch::Tensor loss_g;
    {
        auto amp = autocast();
        auto d_gen = discriminate(augment(fake)).to(torch::kFloat32);
        loss_g = generator_loss(m_loss, d_gen);
    }
    m_opt_g->run(loss_g);

    // The adaptive D schedule must move the same way on every rank.
    const double accuracy = mean_over_ranks(discriminator_accuracy(d_real, d_fake));
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
    m_arch->append_metrics(&out.metrics, m_images_seen);
    if (batch) append_sampler_metrics(*m_data->sampler(), &out.metrics);
    return out;
}

torch::Tensor GanTrainer::generate(const torch::Tensor& z) {
    torch::NoGradGuard no_grad;
    // With gan.g_ema on, the EMA extension has swapped the averaged weights in around this.
    m_arch->g.module->eval();
    auto x = m_arch->generate(z);
    m_arch->g.module->train();
    return x.to(torch::kCPU);
}

std::vector<Metric> GanTrainer::evaluate(at::Generator& gen) {
    return m_data->evaluate([&](int64_t k) { return generate(noise(k, gen)); }, gen);
}

Sample GanTrainer::sample(at::Generator& gen) {
    return m_data->sample([&](int64_t k) { return generate(noise(k, gen)); },
                          [this] { return generate(m_fixed_noise); }, gen);
}

void GanTrainer::save(torch::serialize::OutputArchive& archive) {
    save_part(archive, "g", *m_arch->g.module);
    save_part(archive, "d", *m_arch->d.module);
    save_part(archive, "opt_g", m_opt_g->optimizer());
    save_part(archive, "opt_d", m_opt_d->optimizer());
    if (auto* s = m_data->sampler()) save_sampler(archive, *s);
    const nlohmann::json state = {{"images_seen", m_images_seen}, {"d_steps", m_d_steps.state()}};
    archive.write("gan_state", c10::IValue(state.dump()));
}

void GanTrainer::load(torch::serialize::InputArchive& archive) {
    load_part(archive, "g", *m_arch->g.module);
    load_part(archive, "d", *m_arch->d.module);
    load_part(archive, "opt_g", m_opt_g->optimizer());
    load_part(archive, "opt_d", m_opt_d->optimizer());
    if (auto* s = m_data->sampler()) load_sampler(archive, *s);
    c10::IValue v;
    if (archive.try_read("gan_state", v)) {  // absent in checkpoints of older versions
        const auto state = nlohmann::json::parse(v.toStringRef());
        m_images_seen = state.at("images_seen").get<int64_t>();
        m_d_steps.load_state(state.at("d_steps").get<std::string>());
    }
    m_arch->set_images_seen(m_images_seen);
}

std::string GanTrainer::describe() const {
    return m_config.model.kind + ": generator " +
           std::to_string(parameter_count(*m_arch->g.module)) + " parameters, discriminator " +
           std::to_string(parameter_count(*m_arch->d.module)) + " parameters, data " +
           m_data->source();
}

models::Network* GanTrainer::network(const std::string& name) {
    if (name == "g") return &m_arch->g;
    if (name == "d") return &m_arch->d;
    return nullptr;
}

}  // namespace wb::engine
