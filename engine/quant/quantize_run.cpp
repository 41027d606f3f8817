// quantize_run: load through the export path, quantize, then measure fp32 and int8 side by side.
// Each repetition times fp32 then int8 back to back, so drift in the machine's load or clock
// affects both alike; medians keep one slow repetition from deciding the figure.
#include "engine/quant/quantize_run.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <stdexcept>

#include "engine/data/data_error.h"
#include "engine/data/text_corpus.h"
#include "engine/export/deployed_model.h"
#include "engine/export/model_files.h"
#include "engine/models/cpu_gemm.h"
#include "engine/quant/quantized_gpt.h"
#include "engine/train/lm_validation.h"

namespace wb::engine::quant {
namespace {

using Forward = std::function<torch::Tensor(const torch::Tensor&)>;

constexpr int64_t kInferBatch = 16;  // windows per timed pass, as the trainer's prune/infer_ms
constexpr int kGenerateRepeats = 3;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double ms_of(const std::function<void()>& work) {
    const auto t0 = std::chrono::steady_clock::now();
    work();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Greedy continuation of `ids` [B, P] by `n` tokens, recomputing the whole window per token.
torch::Tensor generate(const Forward& forward, torch::Tensor ids, int64_t n, int64_t context) {
    for (int64_t i = 0; i < n; ++i) {
        auto window = ids.size(1) > context ? ids.narrow(1, ids.size(1) - context, context) : ids;
        auto next = forward(window).select(1, window.size(1) - 1).argmax(-1, true);
        ids = torch::cat({ids, next}, 1);
    }
    return ids;
}

// Medians of `repeats` timings of each model, taken alternately after one untimed warm-up each.
std::pair<double, double> alternate(const std::function<void()>& a, const std::function<void()>& b,
                                    int repeats) {
    a();
    b();
    std::vector<double> ta, tb;
    for (int r = 0; r < repeats; ++r) {
        ta.push_back(ms_of(a));
        tb.push_back(ms_of(b));
    }
    return {median(ta), median(tb)};
}

}  // namespace

QuantizeReport quantize_run(const api::RunConfig& config, const std::string& checkpoint_dir,
                            const QuantizeOptions& options) {
    if (config.model.kind != "gpt")
        throw std::invalid_argument(
            "quantize converts language-model runs (model.kind 'gpt') only for now; this run's "
            "model.kind is '" +
            config.model.kind + "'. Pick a GPT run from `workbench-cli runs`.");
    torch::NoGradGuard no_grad;
    at::set_num_threads(std::max(1, options.threads));
    // The fp32 model runs on the fully connected kernel its run trained with.
    models::set_cpu_gemm(config.train.cpu_gemm == "blas" ? models::CpuGemm::Blas
                                                         : models::CpuGemm::OneDnn);
    std::string trained_vocab;
    auto loaded = load_deployed(config, checkpoint_dir, [&](torch::serialize::InputArchive& s) {
        c10::IValue v;
        if (s.try_read("vocab", v)) trained_vocab = v.toStringRef();
    });
    auto gpt = std::dynamic_pointer_cast<models::GptImpl>(loaded.network().module);
    if (!gpt) throw std::runtime_error("the run's deployed network is not a GPT");
    gpt->eval();
    const auto corpus = data::load_text(config.data.path, config.data.val_fraction);
    if (corpus.vocab != trained_vocab)
        throw data::DataError(
            "the run's text (" + corpus.source +
            ") has other characters than the run was trained on, so its validation loss "
            "cannot be measured; restore the text the run was trained on");

    QuantizeReport r;
    r.step = loaded.step;
    r.skipped = loaded.skipped;
    r.threads = std::max(1, options.threads);
    const QuantizedGpt q(*gpt);
    r.backend = backend_name();
    r.activation_levels = activation_levels();
    r.fp32_size_bytes = archive_bytes(*gpt);
    r.int8_size_bytes = q.file_bytes();

    const Forward fp32 = [&gpt](const torch::Tensor& x) { return gpt->forward(x); };
    const Forward int8 = [&q](const torch::Tensor& x) { return q.forward(x); };
    r.batch = kInferBatch;
    r.context = config.model.context;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(config.train.seed + 7919);
    const auto input = data::text_batch(corpus.val_ids, r.batch, r.context, gen).first;
    std::tie(r.fp32_infer_ms, r.int8_infer_ms) =
        alternate([&] { fp32(input); }, [&] { int8(input); }, std::max(1, options.repeats));
    r.top1_agreement =
        (fp32(input).argmax(-1) == int8(input).argmax(-1)).to(torch::kDouble).mean().item<double>();

    r.generate_tokens = std::max<int64_t>(1, options.generate_tokens);
    const auto prompt = input.narrow(1, 0, std::max<int64_t>(1, r.context - r.generate_tokens));
    std::tie(r.fp32_generate_ms, r.int8_generate_ms) =
        alternate([&] { generate(fp32, prompt, r.generate_tokens, r.context); },
                  [&] { generate(int8, prompt, r.generate_tokens, r.context); }, kGenerateRepeats);

    r.eval_windows = std::max(lm_validation_windows(config), options.min_eval_windows);
    const auto quality = [&](const Forward& f) {
        auto g = at::make_generator<at::CPUGeneratorImpl>(config.train.seed + 15485863);
        return lm_validation_loss(f, corpus.val_ids, r.context, r.eval_windows, g);
    };
    r.fp32_quality = quality(fp32);
    r.int8_quality = quality(int8);
    if (!options.out_path.empty()) q.save(options.out_path);
    return r;
}

}  // namespace wb::engine::quant
