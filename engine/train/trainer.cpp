// Trainer helpers shared by every model family.
#include "engine/train/trainer.h"

#include <cmath>

namespace wb::engine {

namespace {

amp::LossScalerOptions scaler_options(const api::RunConfig& c) {
    amp::LossScalerOptions o;
    o.init_scale = c.amp.init_scale;
    o.growth_factor = c.amp.growth_factor;
    o.backoff_factor = c.amp.backoff_factor;
    o.growth_interval = c.amp.growth_interval;
    o.enabled = c.precision == "fp16";
    return o;
}

}  // namespace

TrainerBase::TrainerBase(const api::RunConfig& config, torch::Device device, at::Generator gen)
    : m_config(config),
      m_device(device),
      m_gen(std::move(gen)),
      m_scaler(scaler_options(config)),
      m_lr(config.optim.lr) {}

void TrainerBase::set_collectives(dist::Collectives* c) {
    m_comm = c;
    // A pipeline stage sees every example of the batch; data parallel ranks a share each, and
    // hybrid ones their replica's share (rank r is in replica r / stages).
    const int copies = c ? static_cast<int>(m_config.dist.replicas(c->world())) : 1;
    m_shard = copies > 1 ? dist::Shard{c->rank() / (c->world() / copies), copies} : dist::Shard{};
    m_sum_over_ranks = [c](torch::Tensor& t) {
        std::vector<torch::Tensor> one{t};
        c->all_reduce_sum(one);
    };
}

torch::Tensor TrainerBase::gather(const torch::Tensor& local) const {
    return m_comm ? m_comm->all_gather(local.contiguous()) : local;
}

double TrainerBase::mean_over_ranks(double v) const {
    if (!m_comm) return v;
    std::vector<torch::Tensor> one{torch::full({1}, v, torch::kFloat64)};
    m_comm->all_reduce_sum(one);
    return one[0].item<double>() / m_comm->world();
}

OptimizerStep& TrainerBase::add_optimizer(std::string name, std::vector<torch::Tensor> params) {
    m_optimizers.push_back(std::make_unique<OptimizerStep>(std::move(name), std::move(params),
                                                           m_config.optim, m_scaler));
    return *m_optimizers.back();
}

compat::AutocastGuard TrainerBase::autocast() const {
    const bool on = m_config.precision != "fp32";
    return compat::AutocastGuard(on, m_device,
                                 m_config.precision == "fp16" ? at::kHalf : at::kBFloat16);
}

void TrainerBase::begin_step(int64_t step) {
    m_lr = scheduled_lr(m_config.optim, step, m_config.train.steps);
    // grad/norm on the steps the run reports as multiples of kGradNormEvery (and the last one).
    const int64_t reported = step + 1;
    const bool norm = reported % kGradNormEvery == 0 || reported == m_config.train.steps;
    for (auto& o : m_optimizers) {
        o->set_lr(m_lr);
        o->measure_grad_norm(norm);
    }
}

void TrainerBase::end_step(StepOutput& out) {
    m_scaler.update();
    for (const auto& o : m_optimizers) {
        if (!o->grad_norm_measured()) continue;
        // Under fp16 an inf/NaN gradient is expected now and then: the step was skipped and
        // amp/skipped_steps counts it. Anywhere else it is a real divergence and is reported.
        if (m_scaler.enabled() && !std::isfinite(o->last_grad_norm())) continue;
        out.metrics.push_back(
            {o->name().empty() ? "grad/norm" : "grad/norm_" + o->name(), o->last_grad_norm()});
    }
    if (m_scaler.enabled()) {
        out.metrics.push_back({"amp/loss_scale", m_scaler.scale_value()});
        out.metrics.push_back({"amp/skipped_steps", static_cast<double>(m_scaler.skipped_steps())});
    }
}

void TrainerBase::save_shared(torch::serialize::OutputArchive& archive) {
    archive.write("loss_scaler", c10::IValue(m_scaler.state()));
}

void TrainerBase::load_shared(torch::serialize::InputArchive& archive) {
    c10::IValue v;
    if (archive.try_read("loss_scaler", v)) m_scaler.load_state(v.toStringRef());
}

int64_t parameter_count(const torch::nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters()) n += p.numel();
    return n;
}

void save_part(torch::serialize::OutputArchive& archive, const std::string& key,
               const torch::nn::Module& m) {
    torch::serialize::OutputArchive part;
    m.save(part);
    archive.write(key, part);
}

void save_part(torch::serialize::OutputArchive& archive, const std::string& key,
               const torch::optim::Optimizer& o) {
    torch::serialize::OutputArchive part;
    o.save(part);
    archive.write(key, part);
}

void load_part(torch::serialize::InputArchive& archive, const std::string& key,
               torch::nn::Module& m) {
    torch::serialize::InputArchive part;
    archive.read(key, part);
    m.load(part);
}

void load_part(torch::serialize::InputArchive& archive, const std::string& key,
               torch::optim::Optimizer& o) {
    torch::serialize::InputArchive part;
    archive.read(key, part);
    o.load(part);
}

}  // namespace wb::engine
