// GPT training step, validation loss and sampling with temperature.
#include "engine/train/lm_trainer.h"

#include <cstdio>

#include "engine/api/attention_pattern.h"
#include "engine/api/run_event.h"
#include "engine/data/difficulty.h"
#include "engine/data/text_windows.h"
#include "engine/grow/optimizer_transplant.h"
#include "engine/models/cpu_gemm.h"
#include "engine/process_memory.h"
#include "engine/rng_state.h"
#include "engine/train/lm_validation.h"
#include "engine/train/optimizers.h"
#include "engine/train/sampling.h"

namespace wb::engine {

namespace {
constexpr int64_t kSampleChars = 300;
constexpr double kTemperature = 0.8;
constexpr int64_t kInferBatch = 16;  // windows per timed forward pass (prune/infer_ms)
// "; attention window 128: 11.2% of the causal pairs at context 1024", or nothing when dense.
std::string attention_text(const api::ModelConfig& mc) {
    const auto p = api::AttentionPattern::from(mc);
    if (p.kind == api::AttentionPattern::Kind::Dense) return {};
    char share[32];
    std::snprintf(share, sizeof share, "%.1f%%", 100 * p.kept_fraction(mc.context));
    return "; attention " + p.describe() + ": " + share + " of the causal pairs at context " +
           std::to_string(mc.context);
}

}  // namespace

LmTrainer::LmTrainer(const api::RunConfig& config, torch::Device device, at::Generator gen)
    : TrainerBase(config, device, std::move(gen)),
      m_corpus(data::load_text(config.data.path, config.data.val_fraction)) {
    const auto& mc = config.model;
    m_gpt = models::make_gpt(config, {static_cast<int64_t>(m_corpus.vocab.size())});
    m_net = models::gpt_network(m_gpt);
    m_gpt->to(m_device);
    // Dropout masks come from the run's generator (on a GPU, one seeded from the run's seed).
    m_dropout_gen = compat::device_generator(m_device, m_gen,
                                             static_cast<uint64_t>(config.train.seed) + 104729);
    m_gpt->set_dropout_generator(m_dropout_gen);
    m_opt = &add_optimizer("", m_gpt->parameters());
    const int64_t windows = data::text_window_count(m_corpus.train_ids, mc.context);
    m_sampler = make_sampler(config, windows, [this] {
        return data::text_window_difficulty(m_corpus.train_ids, m_config.model.context);
    });
    m_sampler->set_scorer([this](const torch::Tensor& indices) { return score(indices); });
}

torch::Tensor LmTrainer::per_window_loss(const torch::Tensor& logits,
                                         const torch::Tensor& y) const {
    namespace F = torch::nn::functional;
    return F::cross_entropy(logits.reshape({-1, logits.size(-1)}), y.reshape({-1}),
                            F::CrossEntropyFuncOptions().reduction(torch::kNone))
        .view({y.size(0), y.size(1)})
        .mean(1);
}

torch::Tensor LmTrainer::score(const torch::Tensor& indices) {
    torch::NoGradGuard no_grad;
    m_gpt->eval();
    auto [x, y] = data::text_windows(m_corpus.train_ids, indices, m_config.model.context);
    auto loss = per_window_loss(m_gpt->forward(x.to(m_device)), y.to(m_device));
    m_gpt->train();
    return loss.cpu();
}

StepOutput LmTrainer::step() {
    const int64_t b = m_config.train.batch_size, t = m_config.model.context;
    const auto batch = m_sampler->next(b);
    const data::TextNoise noise{m_config.augment.text_substitute, m_config.augment.text_delete,
                                static_cast<int64_t>(m_corpus.vocab.size())};
    // Every rank draws the whole batch (and its noise); a data-parallel rank trains on its share
    // of it, a pipeline stage on all of it, a hybrid one on its replica's share.
    auto [x, y] = data::noisy_text_windows(m_corpus.train_ids, batch.indices, t, noise, m_gen);
    StepOutput s;
    s.samples = b;
    s.tokens = b * t;
    if (m_pipeline) {
        const auto losses =
            pipeline_passes(m_shard.of(x), m_shard.of(y), m_shard.of(batch.weights));
        m_sampler->report(batch.indices, losses);
        const auto [bubble, activations] = m_pipeline->step_figures();
        s.metrics = {{"loss/train", losses.mean().item<double>()},
                     {"dist/bubble_fraction", bubble},
                     {"memory/activation_bytes", static_cast<double>(activations)}};
        append_sampler_metrics(*m_sampler, &s.metrics);
        return s;
    }
    x = m_shard.of(x), y = m_shard.of(y);
    torch::Tensor per_window, objective, kd;
    double agreement = 0;
    const int64_t heap_before = heap_bytes_in_use(m_device);
    int64_t activations = 0;
    {
        auto amp = autocast();
        const auto ids = x.to(m_device);
        const auto logits = m_gpt->forward(ids);
        per_window = per_window_loss(logits, y.to(m_device));
        auto loss = per_window;
        if (m_teacher) {
            torch::Tensor taught;
            {
                torch::NoGradGuard no_grad;
                taught = m_teacher->forward(ids);
            }
            const double alpha = m_config.distill.alpha;
            kd = kd_loss(logits, taught, m_config.distill.temperature);
            loss = (1.0 - alpha) * per_window.to(torch::kFloat32) + alpha * kd;
            agreement = top1_agreement(logits.detach(), taught);
        }
        objective = weighted_mean(loss, m_shard.of(batch.weights));
        activations = heap_bytes_in_use(m_device) - heap_before;  // what backward will read
    }
    m_opt->run(objective);
    m_sampler->report(batch.indices, gather(per_window.detach().cpu()));
    s.metrics = {{"loss/train", per_window.mean().item<double>()},
                 {"memory/activation_bytes", static_cast<double>(activations)}};
    if (m_teacher) {
        s.metrics.push_back({"distill/kd_loss", kd.mean().item<double>()});
        s.metrics.push_back({"distill/agreement", agreement});
    }
    append_sampler_metrics(*m_sampler, &s.metrics);
    return s;
}

torch::Tensor LmTrainer::pipeline_passes(const torch::Tensor& x, const torch::Tensor& y,
                                         const torch::Tensor& weights) {
    torch::Tensor losses;
    m_opt->run_passes([&](const amp::LossScaler& scaler) {
        losses = m_pipeline->train(
            x, y, weights, scaler,
            [this](const torch::Tensor& logits, const torch::Tensor& targets) {
                return per_window_loss(logits, targets);
            },
            [this](const std::function<void()>& pass) {
                auto amp = autocast();
                pass();
            });
    });
    return losses;
}

void LmTrainer::set_collectives(dist::Collectives* c) {
    TrainerBase::set_collectives(c);
    m_pipeline.reset();
    m_pipeline_group.reset(), m_replica_group.reset();
    if (!c || !m_config.dist.pipelined()) return;
    dist::Collectives* pipeline = c;
    if (m_config.dist.mode == "hybrid") {
        // Every rank forms its pipeline first, then its stage's replicas: no cycle of waits.
        const auto stages = static_cast<int>(m_config.dist.stages);
        const dist::PipelineGrid grid{stages, c->world() / stages};
        m_pipeline_group = c->subgroup(grid.pipeline_of(c->rank()));
        m_replica_group = c->subgroup(grid.replicas_of(c->rank()));
        pipeline = m_pipeline_group.get();
    }
    m_pipeline =
        std::make_unique<LmPipeline>(m_config, *pipeline, m_gpt, m_device, m_replica_group.get());
    m_opt->set_norm_combiner([this](double local) { return m_pipeline->whole_norm(local); });
    // Each stage draws its own dropout masks. On the CPU the model drew them from the run's
    // generator, whose other draws (batches, noise) every stage must make alike.
    const auto seed = static_cast<uint64_t>(m_config.train.seed) + 104729 +
                      7919 * static_cast<uint64_t>(c->rank() + 1);
    m_dropout_gen = m_device.is_cpu() ? at::make_generator<at::CPUGeneratorImpl>(seed)
                                      : compat::device_generator(m_device, m_gen, seed);
    m_gpt->set_dropout_generator(m_dropout_gen);
    if (m_log) m_log("info", m_pipeline->describe());
}

// The teacher predicts the same windows as the student at every step, frozen and without
// dropout, on the student's device.
void LmTrainer::set_teacher(TeacherModel teacher) {
    auto gpt = std::dynamic_pointer_cast<models::GptImpl>(teacher.network.module);
    if (!gpt)
        throw std::invalid_argument("distill.teacher: " + teacher.label +
                                    " holds no GPT: the teacher must be a GPT run");
    if (teacher.vocab != m_corpus.vocab)
        throw std::invalid_argument(
            "distill.teacher: " + teacher.label + " was trained on text with other characters (" +
            std::to_string(teacher.vocab.size()) + ") than this run's " + m_corpus.source + " (" +
            std::to_string(m_corpus.vocab.size()) +
            "), so its predictions do not fit this run's vocabulary: pick a teacher trained on "
            "the same text, or train on its text (data.path)");
    gpt->to(m_device);
    gpt->eval();
    for (auto& p : gpt->parameters()) p.set_requires_grad(false);
    m_teacher = gpt;
    if (m_log)
        m_log("info", "distilling from " + teacher.label + " at step " +
                          std::to_string(teacher.step) + ": its " +
                          std::to_string(parameter_count(*gpt)) + " parameters teach these " +
                          std::to_string(parameter_count(*m_gpt)) + "; alpha " +
                          std::to_string(m_config.distill.alpha).substr(0, 4) + ", temperature " +
                          std::to_string(m_config.distill.temperature).substr(0, 4));
}

void LmTrainer::assemble_model(bool optimizer_state) {
    if (!m_pipeline) return;
    m_pipeline->share_weights();
    if (optimizer_state) m_pipeline->gather_optimizer_state(m_opt->optimizer());
}

void LmTrainer::release_assembled() {
    if (m_pipeline) m_pipeline->drop_foreign_state(m_opt->optimizer());
}

std::vector<Metric> LmTrainer::evaluate(at::Generator& gen) {
    m_gpt->eval();
    const double loss = lm_validation_loss(
        [this](const torch::Tensor& x) { return m_gpt->forward(x); }, m_corpus.val_ids,
        m_config.model.context, lm_validation_windows(m_config), gen, m_device);
    m_gpt->train();
    return {{"loss/val", loss}};
}

Sample LmTrainer::sample(at::Generator& gen) {
    torch::NoGradGuard no_grad;
    m_gpt->eval();
    const int64_t t = m_config.model.context;
    auto ids = m_corpus.encode("\n");
    if (ids.numel() == 0) ids = torch::zeros({1}, torch::kLong);
    ids = ids.view({1, -1});
    for (int64_t i = 0; i < kSampleChars; ++i) {
        auto window = ids.size(1) > t ? ids.narrow(1, ids.size(1) - t, t) : ids;
        auto logits = m_gpt->forward(window.to(m_device)).select(1, window.size(1) - 1);
        auto probs = torch::softmax(logits.to(torch::kCPU, torch::kFloat32) / kTemperature, -1);
        auto next = torch::multinomial(probs, 1, false, gen);
        ids = torch::cat({ids, next}, 1);
    }
    m_gpt->train();
    return {api::kSampleText, m_corpus.decode(ids.view({-1}))};
}

void LmTrainer::save(torch::serialize::OutputArchive& archive) {
    save_part(archive, "gpt", *m_gpt);
    save_part(archive, "opt", m_opt->optimizer());
    archive.write("vocab", c10::IValue(m_corpus.vocab));
    save_sampler(archive, *m_sampler);
    // On the CPU the dropout generator is the run's, which the checkpoint holds already.
    if (m_device.is_cuda())
        archive.write("dropout_rng", c10::IValue(generator_state_hex(m_dropout_gen)));
}

void LmTrainer::load(torch::serialize::InputArchive& archive) {
    c10::IValue vocab;
    archive.read("vocab", vocab);
    if (vocab.toStringRef() != m_corpus.vocab)
        throw std::runtime_error(
            "the checkpoint was trained on a corpus with different characters; resume with the "
            "same data.path or start a new run");
    // A grown model's checkpoint: take its shape first (the weights and moments come next).
    const auto dims = models::gpt_dims(archive);
    if (dims.layers != shape().layers || dims.width != shape().width) {
        models::Gpt gpt{nullptr};
        {
            GlobalGeneratorGuard keep_global_stream;  // overwritten at once: draw nothing
            gpt = models::make_gpt(m_config, dims);
        }
        gpt->to(m_device);
        adopt(gpt, make_optimizer(gpt->parameters(), m_config.optim));
    }
    load_part(archive, "gpt", *m_gpt);
    load_part(archive, "opt", m_opt->optimizer());
    load_sampler(archive, *m_sampler);
    c10::IValue rng;
    if (m_device.is_cuda() && archive.try_read("dropout_rng", rng))
        set_generator_state_hex(m_dropout_gen, rng.toStringRef());
    if (m_pipeline) m_pipeline->drop_foreign_state(m_opt->optimizer());
}

std::string LmTrainer::describe() const {
    return "gpt: " + std::to_string(parameter_count(*m_gpt)) + " parameters, vocabulary " +
           std::to_string(m_corpus.vocab.size()) + " characters, " +
           std::to_string(m_corpus.train_ids.numel()) + " training and " +
           std::to_string(m_corpus.val_ids.numel()) + " validation characters from " +
           m_corpus.source + attention_text(m_config.model) +
           (m_device.is_cpu() && m_config.precision == "fp32"
                ? "; fully connected layers through " +
                      std::string(models::cpu_gemm_name(models::cpu_gemm()) == "onednn"
                                      ? "oneDNN's sgemm"
                                      : "LibTorch's BLAS matmul")
                : std::string());
}

models::DataDims LmTrainer::data_dims() const {
    const auto s = shape();
    return {static_cast<int64_t>(m_corpus.vocab.size()), s.layers, s.width};
}

api::GptShape LmTrainer::shape() const {
    const int64_t width = grow::gpt_width(*m_gpt);
    return {grow::gpt_layers(*m_gpt), width, models::gpt_options(m_config, {1, 0, width}).heads()};
}

void LmTrainer::adopt(models::Gpt gpt, std::unique_ptr<torch::optim::Optimizer> optimizer) {
    m_gpt = std::move(gpt);
    m_gpt->set_dropout_generator(m_dropout_gen);
    m_net = models::gpt_network(m_gpt);
    m_opt->replace(m_gpt->parameters(), std::move(optimizer));
}

void LmTrainer::grow_to(const api::GptShape& target, grow::DeepenMethod method, double noise) {
    const auto vocab = static_cast<int64_t>(m_corpus.vocab.size());
    const auto step = [&](grow::Grown grown) {
        auto optimizer = make_optimizer(grown.model->parameters(), m_config.optim);
        grow::carry_state(m_opt->optimizer(), *optimizer, grown.origins);
        adopt(grown.model, std::move(optimizer));
    };
    if (target.width != shape().width)
        step(grow::widen(*m_gpt,
                         models::gpt_options(m_config, {vocab, shape().layers, target.width}),
                         noise, m_gen));
    if (target.layers != shape().layers)
        step(grow::deepen(*m_gpt,
                          models::gpt_options(m_config, {vocab, target.layers, target.width}),
                          method, m_gen));
}

double LmTrainer::probe_loss() {
    torch::NoGradGuard no_grad;
    m_gpt->eval();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(m_config.train.seed + 15485863);
    auto [x, y] = data::text_batch(m_corpus.val_ids, kInferBatch, m_config.model.context, gen);
    const double loss = m_gpt->loss(m_gpt->forward(x.to(m_device)), y.to(m_device)).item<double>();
    m_gpt->train();
    return loss;
}

torch::Tensor LmTrainer::deploy_input() {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(m_config.train.seed + 7919);
    return data::text_batch(m_corpus.val_ids, kInferBatch, m_config.model.context, gen)
        .first.to(m_device);
}

}  // namespace wb::engine
