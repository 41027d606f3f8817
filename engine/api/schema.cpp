// The field table: the only place a RunConfig field is named, bounded and explained (the
// optimization toggles are in schema_optimizations.cpp).
#include "engine/api/schema.h"

#include "engine/api/schema_build.h"

#include <algorithm>

#include "engine/api/model_kinds.h"

#include <limits>

namespace wb::api {
namespace {

using nlohmann::json;
using namespace schema_build;

std::vector<FieldSpec> build() {
    using T = FieldType;
    std::vector<FieldSpec> s;
    s.push_back(choice(
        make(WB_BIND(model.kind, std::string), T::Choice, "Model", "Model",
             "Which generative model to train. gan_mlp: a small MLP GAN for 2-D points (seconds "
             "per run, shows mode collapse). dcgan: a convolutional GAN for 32x32 images. progan: "
             "the progressive-growing GAN's networks for 32x32 images (Karras et al. 2018), "
             "grown from 4x4 when progressive.enabled is on, else trained at 32x32 from the "
             "start. vae: a convolutional variational autoencoder (stable, blurrier samples). "
             "gpt: a character-level Transformer language model."),
        model_kind_names()));
    s.push_back(ranged(make(WB_BIND(model.latent_dim, int64_t), T::Int, "Model", "Latent size",
                            "Size of the noise vector (GAN) or latent code (VAE). Larger codes "
                            "can describe more variation but take longer to organise."),
                       1, 512));
    s.push_back(ranged(make(WB_BIND(model.width, int64_t), T::Int, "Model", "Width",
                            "Hidden units per MLP layer, base channels of the conv nets, or the "
                            "GPT's embedding size. Compute grows roughly with its square."),
                       4, 2048));
    s.push_back(ranged(make(WB_BIND(model.layers, int64_t), T::Int, "Model", "Layers",
                            "Hidden layers of the MLP GAN or Transformer blocks of the GPT. "
                            "Deeper models fit more but each step costs proportionally more."),
                       1, 48));
    s.push_back(ranged(make(WB_BIND(model.heads, int64_t), T::Int, "Model", "Attention heads",
                            "GPT only: attention heads per block; the width must divide evenly "
                            "by it."),
                       1, 64));
    s.push_back(ranged(make(WB_BIND(model.context, int64_t), T::Int, "Model", "Context length",
                            "GPT only: characters the model sees at once. Attention cost grows "
                            "with its square (see Attention)."),
                       8, 8192));
    s.push_back(ranged(make(WB_BIND(model.dropout, double), T::Float, "Model", "Dropout",
                            "GPT only: share of activations zeroed in training. Fights "
                            "overfitting on small corpora; slows the fall of the training loss."),
                       0.0, 0.9));
    s.push_back(make(WB_BIND(model.equalized_lr, bool), T::Bool, "Model", "Equalised learning rate",
                     "ProGAN only: weights are stored with unit variance and scaled by He's "
                     "constant in every forward pass, so Adam's step is the same relative size in "
                     "every layer. Off: the same scale is applied once at initialisation (the same "
                     "starting network). Costs one multiply per layer per step."));
    s.push_back(make(WB_BIND(model.pixel_norm, bool), T::Bool, "Model", "Pixel normalisation",
                     "ProGAN only: after each generator convolution, every pixel's feature vector "
                     "is scaled to unit length. Keeps generator and discriminator from escalating "
                     "their magnitudes; replaces batch norm. Costs a little time per layer."));
    s.push_back(make(
        WB_BIND(model.minibatch_stddev, bool), T::Bool, "Model", "Minibatch standard deviation",
        "ProGAN only: the discriminator's last block sees one extra feature, the "
        "spread of features across a group of 4 samples, so a generator that makes "
        "too-similar samples is easy to catch (fights mode collapse, like gan.pack)."));

    s.push_back(choice(make(WB_BIND(data.name, std::string), T::Choice, "Data", "Dataset",
                            "mixture2d: 8 Gaussians on a ring, generated, no files; the classic "
                            "mode-collapse test. fashion_mnist: 28x28 clothes images (IDX files, "
                            "padded to 32x32). text: a plain-text corpus for the language model."),
                       {"mixture2d", "fashion_mnist", "text"}));
    s.push_back(make(WB_BIND(data.path, std::string), T::Text, "Data", "Data path",
                     "Empty: the built-in default (Debian's dataset-fashion-mnist for images, "
                     "the fortunes corpus for text). Otherwise a folder or file of IDX files "
                     "(plain or .gz) or a text file or folder of text files."));
    s.push_back(
        ranged(make(WB_BIND(data.val_fraction, double), T::Float, "Data", "Validation share",
                    "Share of the text held out to measure loss/val. Too small gives a "
                    "noisy estimate; too large leaves less to learn from."),
               0.01, 0.5));
    s.push_back(ranged(make(WB_BIND(data.modes, int64_t), T::Int, "Data", "Mixture modes",
                            "mixture2d: number of Gaussians on the ring. More modes make mode "
                            "collapse easier to see."),
                       2, 64));
    s.push_back(ranged(make(WB_BIND(data.radius, double), T::Float, "Data", "Mixture radius",
                            "mixture2d: radius of the ring the modes sit on."),
                       0.1, 100.0));
    s.push_back(ranged(make(WB_BIND(data.std, double), T::Float, "Data", "Mixture spread",
                            "mixture2d: standard deviation of each mode. Sharper modes are "
                            "harder to hit: a sample counts as high quality within 3 of these."),
                       0.001, 10.0, true));

    s.push_back(ranged(make(WB_BIND(train.steps, int64_t), T::Int, "Training", "Steps",
                            "Optimizer steps to train (for GANs: generator steps). Time grows "
                            "linearly with it."),
                       1, kMaxSteps));
    s.push_back(ranged(make(WB_BIND(train.batch_size, int64_t), T::Int, "Training", "Batch size",
                            "Examples per step. Larger batches give smoother gradients and use "
                            "the hardware better, but cost memory and fewer updates per epoch."),
                       1, 65536));
    s.push_back(ranged(make(WB_BIND(train.seed, int64_t), T::Int, "Training", "Seed",
                            "Seeds weights, noise and data order. On CPU with one thread the "
                            "same seed gives the same loss curve, step for step."),
                       0, 2147483647.0));
    s.push_back(ranged(make(WB_BIND(train.threads, int64_t), T::Int, "Training", "CPU threads",
                            "LibTorch's intra-op threads. 0 uses every core. 1 makes CPU runs "
                            "bit-for-bit reproducible at the price of speed."),
                       0, 1024));
    s.push_back(choice(
        make(WB_BIND(train.cpu_gemm, std::string), T::Choice, "Training", "CPU matrix products",
             "Which kernel multiplies the GPT's fully connected layers on the CPU (fp32). "
             "onednn: oneDNN's sgemm, compiled at run time for this CPU; on a CPU where the "
             "system BLAS picks an older kernel (OpenBLAS 0.3.21 on AMD Zen 4) about 2x faster "
             "per product. blas: LibTorch's own matmul through the system BLAS, as a PyTorch "
             "script gets it. Same arithmetic, results agree to float rounding. Ignored on a "
             "GPU, under bf16 autocast and for the other models."),
        {"onednn", "blas"}));
    s.push_back(choice(make(WB_BIND(device, std::string), T::Choice, "Training", "Device",
                            "auto: the GPU when LibTorch was built with CUDA and one is present, "
                            "else the CPU. cuda fails with a clear message when no GPU is "
                            "usable."),
                       {"auto", "cpu", "cuda"}));
    s.push_back(choice(
        make(WB_BIND(precision, std::string), T::Choice, "Precision", "Precision",
             "fp32: every operation in 32-bit floats. bf16: matrix products and convolutions run "
             "in bfloat16 under autocast while the weights stay fp32; on GPUs with bf16 tensor "
             "cores (Ampere and later) about 1.5-3x faster and half the activation memory, on "
             "CPUs without bf16 instructions usually slower. fp16: float16 autocast with dynamic "
             "loss scaling so small gradients do not underflow; GPU only. Both lose a little "
             "precision per operation, which training usually absorbs."),
        {"fp32", "bf16", "fp16"}));
    s.push_back(ranged(
        make(WB_BIND(amp.init_scale, double), T::Float, "Precision", "Initial loss scale",
             "fp16 only: the loss is multiplied by this before backward so that small gradients "
             "stay representable in float16, and the gradients divided by it again before the "
             "step. Too high costs a few skipped steps at the start while it backs off."),
        1.0, 16777216.0, true));
    s.push_back(ranged(
        make(WB_BIND(amp.growth_factor, double), T::Float, "Precision", "Scale growth",
             "fp16 only: the loss scale is multiplied by this after `Growth interval` steps in a "
             "row without inf/NaN gradients, to use as much of float16's range as possible."),
        1.0001, 1000.0));
    s.push_back(ranged(
        make(WB_BIND(amp.backoff_factor, double), T::Float, "Precision", "Scale backoff",
             "fp16 only: on a step with inf/NaN gradients the optimizer step is skipped and the "
             "loss scale multiplied by this. Each skip costs one step of compute."),
        1e-4, 0.9999));
    s.push_back(ranged(
        make(WB_BIND(amp.growth_interval, int64_t), T::Int, "Precision", "Growth interval",
             "fp16 only: clean steps in a row before the loss scale grows. Shorter finds a high "
             "scale sooner but overflows (skips a step) more often."),
        1, kMaxSteps));

    s.push_back(choice(make(WB_BIND(optim.name, std::string), T::Choice, "Optimizer", "Optimizer",
                            "sgd: plain momentum SGD, cheap but sensitive to the learning rate; "
                            "one extra tensor per weight. adam: adaptive per-weight steps, the "
                            "usual choice for GANs and Transformers; two extra tensors per "
                            "weight. adamw: Adam with decoupled weight decay. adabelief: Adam "
                            "that scales steps by how far the gradient strays from its average "
                            "(Zhuang et al. 2020): large steps where gradients are consistent, "
                            "small where they are noisy; same memory as Adam. lamb: Adam with a "
                            "per-layer trust ratio |w|/|update| (You et al. 2019) that keeps "
                            "large-batch training stable; costs two norms per tensor per step."),
                       {"sgd", "adam", "adamw", "adabelief", "lamb"}));
    s.push_back(ranged(make(WB_BIND(optim.lr, double), T::Float, "Optimizer", "Learning rate",
                            "Step size. Too high diverges or oscillates; too low wastes steps."),
                       1e-7, 10.0, true));
    s.push_back(ranged(make(WB_BIND(optim.beta1, double), T::Float, "Optimizer", "Beta 1",
                            "Adam's momentum on the gradient. GANs often use 0.5 so that the "
                            "players react faster to each other."),
                       0.0, 0.9999));
    s.push_back(ranged(make(WB_BIND(optim.beta2, double), T::Float, "Optimizer", "Beta 2",
                            "Adam's averaging of squared gradients: higher is smoother but "
                            "slower to adapt."),
                       0.0, 0.99999));
    s.push_back(ranged(make(WB_BIND(optim.eps, double), T::Float, "Optimizer", "Epsilon",
                            "Adaptive optimizers: added to the denominator so that steps stay "
                            "finite where gradients are tiny. 0 uses each optimizer's own default "
                            "(adam/adamw 1e-8, adabelief 1e-16, lamb 1e-6). Larger values make "
                            "the optimizer behave more like SGD with momentum."),
                       0.0, 1.0));
    s.push_back(ranged(make(WB_BIND(optim.momentum, double), T::Float, "Optimizer", "Momentum",
                            "SGD only: how much of the previous step carries over."),
                       0.0, 0.9999));
    s.push_back(make(WB_BIND(optim.nesterov, bool), T::Bool, "Optimizer", "Nesterov momentum",
                     "SGD only: evaluate the momentum step's gradient one step ahead (Nesterov). "
                     "Usually converges a little faster at the same cost; needs momentum > 0."));
    s.push_back(
        ranged(make(WB_BIND(optim.weight_decay, double), T::Float, "Optimizer", "Weight decay",
                    "Pulls weights towards zero each step (decoupled for adamw, adabelief "
                    "and lamb). Regularises; too much underfits."),
               0.0, 1.0));
    s.push_back(
        choice(make(WB_BIND(optim.schedule, std::string), T::Choice, "Optimizer", "LR schedule",
                    "constant: the learning rate stays at lr after the warm-up. cosine: after the "
                    "warm-up it follows half a cosine from lr down to 0 at the last step, which "
                    "usually ends at a lower loss than a constant rate for the same steps. Free to "
                    "compute; changes which steps count most."),
               {"constant", "cosine"}));
    s.push_back(ranged(
        make(WB_BIND(optim.warmup_steps, int64_t), T::Int, "Optimizer", "Warm-up steps",
             "Steps over which the learning rate rises linearly from 0 to lr. Protects "
             "Transformers and adaptive optimizers from huge early steps while their statistics "
             "are still empty; those steps learn less."),
        0, kMaxSteps));
    s.push_back(ranged(
        make(WB_BIND(optim.grad_clip, double), T::Float, "Optimizer", "Gradient clipping",
             "Rescales all gradients together when their global L2 norm exceeds this (0: off); "
             "the norm is plotted as grad/norm, every step while clipping (or fp16) needs it, "
             "else every 10th step. Stops single bad batches from blowing the weights up; "
             "clipping too low slows learning. Costs one norm over all gradients per step, a "
             "few percent of a small model's step."),
        0.0, 1e6));
    s.push_back(
        make(WB_BIND(optim.fused, bool), T::Bool, "Optimizer", "Fused optimizer step",
             "adam, adamw, adabelief and lamb only: update all weights in one pass of a "
             "hand-written kernel (one CUDA launch over every tensor on a GPU, one loop per "
             "tensor on the CPU) instead of about ten separate LibTorch operations per tensor. "
             "Same numbers up to round-off; saves launch and memory traffic, which matters most "
             "for many small tensors."));

    add_attention_fields(s);
    add_grow_fields(s);
    add_optimization_fields(s);

    s.push_back(ranged(
        make(WB_BIND(checkpoint.every_steps, int64_t), T::Int, "Checkpoints", "Checkpoint every",
             "Steps between checkpoints (model, optimizer, RNG, data position). "
             "0 saves only when the run stops or ends. Each save costs a file "
             "write the size of the model and optimizer state."),
        0, kMaxSteps));
    s.push_back(
        ranged(make(WB_BIND(eval.every_steps, int64_t), T::Int, "Evaluation", "Evaluate every",
                    "Steps between quality measurements (modes covered, validation "
                    "loss). 0 evaluates only at the end. Evaluation pauses training."),
               0, kMaxSteps));
    s.push_back(
        ranged(make(WB_BIND(eval.samples, int64_t), T::Int, "Evaluation", "Evaluation samples",
                    "Generated points (mixture2d), generated and real test images for FID (at "
                    "most the 10,000 test images), or held-out examples (VAE, LM) per "
                    "evaluation: more is less noisy and slower. FID is biased upwards for small "
                    "counts: compare runs only at the same count."),
               64, 1'000'000));
    s.push_back(make(
        WB_BIND(eval.fid, bool), T::Bool, "Evaluation", "FID",
        "Image GANs: Frechet distance (quality/fid, lower is better) and kernel "
        "distance (quality/kid) between generated and real test images, on the "
        "features of a small Fashion-MNIST classifier (Inception features mean "
        "nothing for 28x28 greyscale clothes). The classifier is trained once (a few "
        "minutes on a 2-core CPU) and cached in the data folder. Each evaluation costs generating "
        "and classifying eval.samples images."));
    s.push_back(make(WB_BIND(eval.extractor, std::string), T::Text, "Evaluation",
                     "FID feature extractor",
                     "Empty: the shared classifier in the app's data folder "
                     "(fid/fashion_mnist_cnn.wbfx), so FIDs of all runs are comparable. A path "
                     "uses (or trains and saves) that file instead; FIDs from different "
                     "extractors are not comparable."));
    s.push_back(
        ranged(make(WB_BIND(sample.every_steps, int64_t), T::Int, "Evaluation", "Samples every",
                    "Steps between sample previews (image grid, point scatter or "
                    "generated text). 0 only at the end."),
               0, kMaxSteps));
    add_dist_fields(s);
    add_distill_fields(s);
    add_energy_fields(s);
    set_applies_to(s);
    return s;
}

}  // namespace

bool FieldSpec::applies_to_model(const std::string& kind) const {
    const auto& m = applies_to.models;
    return m.empty() || std::find(m.begin(), m.end(), kind) != m.end();
}

bool FieldSpec::applies(const RunConfig& c) const {
    if (!applies_to_model(c.model.kind)) return false;
    if (applies_to.field.empty()) return true;
    const FieldSpec* on = find_field(applies_to.field);
    if (!on || !on->applies(c)) return false;
    const auto& v = applies_to.values;
    return std::find(v.begin(), v.end(), on->get(c)) != v.end();
}

void reset_inapplicable_fields(RunConfig& c) {
    if (!find_model_kind(c.model.kind)) return;
    for (const auto& f : schema())
        if (!f.applies_to_model(c.model.kind)) f.set(c, f.default_value());
}

const std::vector<FieldSpec>& schema() {
    static const std::vector<FieldSpec> kSchema = build();
    return kSchema;
}

const FieldSpec* find_field(const std::string& path) {
    for (const auto& f : schema())
        if (f.path == path) return &f;
    return nullptr;
}

const char* to_string(FieldType t) {
    switch (t) {
        case FieldType::Bool:
            return "bool";
        case FieldType::Int:
            return "int";
        case FieldType::Float:
            return "float";
        case FieldType::Choice:
            return "choice";
        case FieldType::Text:
            return "text";
        case FieldType::Unset:
            break;
    }
    return "unset";
}

nlohmann::json schema_json() {
    json fields = json::array();
    for (const auto& f : schema()) {
        json j = {{"path", f.path},       {"type", to_string(f.type)},
                  {"section", f.section}, {"label", f.label},
                  {"help", f.help},       {"default", f.default_value()}};
        if (f.type == FieldType::Int || f.type == FieldType::Float) {
            j["min"] = f.min;
            j["max"] = f.max;
            if (f.log_scale) j["log_scale"] = true;
        }
        if (f.type == FieldType::Choice) j["choices"] = f.choices;
        json applies = {{"models", f.applies_to.models.empty() ? json(model_kind_names())
                                                               : json(f.applies_to.models)}};
        if (!f.applies_to.field.empty())
            applies["when"] = {{"field", f.applies_to.field}, {"in", f.applies_to.values}};
        j["applies_to"] = std::move(applies);
        fields.push_back(std::move(j));
    }
    json secs = json::array();
    for (const auto& s : sections()) secs.push_back({{"name", s.name}, {"help", s.help}});
    return {{"sections", secs}, {"fields", fields}};
}

}  // namespace wb::api
