// GPT training step, validation loss and sampling with temperature.
#include "engine/train/lm_trainer.h"

#include "engine/api/run_event.h"
#include "engine/train/optimizers.h"

namespace wb::engine {

namespace {
constexpr int64_t kSampleChars = 300;
constexpr double kTemperature = 0.8;
}  // namespace

LmTrainer::LmTrainer(const api::RunConfig& config, torch::Device device, at::Generator gen)
    : TrainerBase(config, device, std::move(gen)),
      m_corpus(data::load_text(config.data.path, config.data.val_fraction)) {
    const auto& mc = config.model;
    const auto vocab = static_cast<int64_t>(m_corpus.vocab.size());
    m_gpt = models::Gpt(
        models::GptOptions(vocab, mc.context, mc.width, mc.layers, mc.heads).dropout(mc.dropout));
    m_gpt->to(m_device);
    m_opt = &add_optimizer("", m_gpt->parameters());
}

StepOutput LmTrainer::step() {
    const int64_t b = m_config.train.batch_size, t = m_config.model.context;
    auto [x, y] = data::text_batch(m_corpus.train_ids, b, t, m_gen);
    torch::Tensor loss;
    {
        auto amp = autocast();
        loss = m_gpt->loss(m_gpt->forward(x.to(m_device)), y.to(m_device));
    }
    m_opt->run(loss);
    StepOutput s;
    s.samples = b;
    s.tokens = b * t;
    s.metrics = {{"loss/train", loss.item<double>()}};
    return s;
}

std::vector<Metric> LmTrainer::evaluate(at::Generator& gen) {
    torch::NoGradGuard no_grad;
    m_gpt->eval();
    const int64_t t = m_config.model.context;
    const int64_t windows = std::max<int64_t>(1, m_config.eval.samples / t);
    const int64_t chunk = 64;
    double total = 0;
    for (int64_t done = 0; done < windows; done += chunk) {
        const int64_t b = std::min(chunk, windows - done);
        auto [x, y] = data::text_batch(m_corpus.val_ids, b, t, gen);
        total += m_gpt->loss(m_gpt->forward(x.to(m_device)), y.to(m_device)).item<double>() *
                 static_cast<double>(b);
    }
    m_gpt->train();
    return {{"loss/val", total / static_cast<double>(windows)}};
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
}

void LmTrainer::load(torch::serialize::InputArchive& archive) {
    c10::IValue vocab;
    archive.read("vocab", vocab);
    if (vocab.toStringRef() != m_corpus.vocab)
        throw std::runtime_error(
            "the checkpoint was trained on a corpus with different characters; resume with the "
            "same data.path or start a new run");
    load_part(archive, "gpt", *m_gpt);
    load_part(archive, "opt", m_opt->optimizer());
}

std::string LmTrainer::describe() const {
    return "gpt: " + std::to_string(parameter_count(*m_gpt)) + " parameters, vocabulary " +
           std::to_string(m_corpus.vocab.size()) + " characters, " +
           std::to_string(m_corpus.train_ids.numel()) + " training and " +
           std::to_string(m_corpus.val_ids.numel()) + " validation characters from " +
           m_corpus.source;
}

}  // namespace wb::engine
