// The field table: the only place a RunConfig field is named, bounded and explained.
#include "engine/api/schema.h"

#include <limits>

namespace wb::api {
namespace {

using nlohmann::json;

// Binds a FieldSpec to the member `expr` of RunConfig (e.g. train.steps): the key path is the
// member path, so a field cannot be spelled two ways.
#define WB_BIND(expr, T)                                                \
#expr,                                                              \
        [](const RunConfig& c) { return json(c.expr); },                \
                                                      [](RunConfig & c, \
                                                         const json& v) { c.expr = v.get<T>(); }

FieldSpec make(const char* path, std::function<json(const RunConfig&)> get,
               std::function<void(RunConfig&, const json&)> set, FieldType type,
               const char* section, const char* label, const char* help) {
    FieldSpec f;
    f.path = path;
    f.get = std::move(get);
    f.set = std::move(set);
    f.type = type;
    f.section = section;
    f.label = label;
    f.help = help;
    return f;
}

FieldSpec ranged(FieldSpec f, double lo, double hi, bool log_scale = false) {
    f.min = lo;
    f.max = hi;
    f.log_scale = log_scale;
    return f;
}

FieldSpec choice(FieldSpec f, std::vector<std::string> choices) {
    f.choices = std::move(choices);
    return f;
}

constexpr double kMaxSteps = 10'000'000;

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
        {"gan_mlp", "dcgan", "progan", "vae", "gpt"}));
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
                            "with its square."),
                       8, 2048));
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

    s.push_back(ranged(make(WB_BIND(gan.pack, int64_t), T::Int, "GAN", "Packing (PacGAN)",
                            "GANs only: the discriminator judges this many samples at once, "
                            "concatenated (Lin et al., PacGAN, 2018). A generator that keeps "
                            "making the same few samples is then easy to catch, which fights "
                            "mode collapse. 1 is a plain GAN. Costs a wider discriminator input; "
                            "the batch size must divide by it."),
                       1, 16));
    s.push_back(choice(
        make(WB_BIND(gan.loss, std::string), T::Choice, "GAN", "Loss",
             "non_saturating: the original GAN loss with the generator maximising log D(fake); "
             "a safe default. hinge: margins instead of log-probabilities (SAGAN, BigGAN); "
             "often sharper images. wgan_gp: the Wasserstein critic with a gradient penalty "
             "(and ProGAN's small drift term); smoother training signal, but each "
             "discriminator step costs a second backward pass, about 1.5x the time. The "
             "gradient penalty assumes a critic without batch norm: prefer model.kind=progan."),
        {"non_saturating", "hinge", "wgan_gp"}));
    s.push_back(
        ranged(make(WB_BIND(gan.gp_weight, double), T::Float, "GAN", "Gradient penalty weight",
                    "wgan_gp only: how strongly the critic's gradient norm is pulled to "
                    "1 on points between real and fake. 10 is the paper's value; too "
                    "small lets the critic blow up, too large flattens it."),
               0.0, 1000.0));
    s.push_back(
        ranged(make(WB_BIND(gan.d_steps_per_g, int64_t), T::Int, "GAN", "D steps per G step",
                    "Discriminator updates (each on a fresh batch) per generator update. "
                    "WGAN-GP classically uses 5. Each extra step costs about one more "
                    "third of a GAN step and more real images."),
               1, 10));
    s.push_back(make(WB_BIND(gan.d_steps_adaptive, bool), T::Bool, "GAN", "Adaptive D steps",
                     "Adjusts the D steps every 25 generator steps from the discriminator's "
                     "accuracy on real vs fake: one more when it falls 0.1 below the target "
                     "(the generator is fooling it), one fewer when it rises 0.1 above (it wins "
                     "too easily and the generator learns little). Starts from D steps per G "
                     "step. Curve: gan/d_steps."));
    s.push_back(ranged(make(WB_BIND(gan.d_steps_max, int64_t), T::Int, "GAN", "Max D steps",
                            "Adaptive D steps only: the most discriminator updates per generator "
                            "update it may choose."),
                       1, 10));
    s.push_back(
        ranged(make(WB_BIND(gan.d_target_accuracy, double), T::Float, "GAN", "Target D accuracy",
                    "Adaptive D steps only: the discriminator accuracy (share of real "
                    "and fake judged right) to steer towards. 0.5 is a confused "
                    "discriminator, 1.0 one that has won."),
               0.5, 0.95));
    s.push_back(
        ranged(make(WB_BIND(gan.g_ema, double), T::Float, "GAN", "Generator EMA",
                    "GANs: decay of an exponential moving average of the "
                    "generator's weights, used for samples and FID (ProGAN, StyleGAN "
                    "use 0.999). Averages away the oscillation of the game: smoother, "
                    "usually better samples. The decay warms up as min(decay, (1+t)/(10+t)) "
                    "after t updates, so early samples are not the random starting "
                    "weights. 0 turns it off. Costs one extra copy of the generator and "
                    "a small update per step."),
               0.0, 0.99999));

    s.push_back(make(WB_BIND(progressive.enabled, bool), T::Bool, "Progressive growing",
                     "Progressive growing",
                     "ProGAN only: train at 4x4 first, then fade in 8x8, 16x16 and 32x32 blocks "
                     "(Karras et al. 2018). Early phases are cheap, so the same number of images "
                     "costs less time; it can also stabilise training. Off: the same network "
                     "trains at 32x32 from the start, a like-for-like comparison. Curves: "
                     "progressive/resolution, progressive/alpha."));
    s.push_back(ranged(make(WB_BIND(progressive.fade_images, int64_t), T::Int,
                            "Progressive growing", "Fade-in images",
                            "Images shown to the discriminator while a new resolution fades in "
                            "(alpha from 0 to 1). Too short a fade shocks the networks; longer "
                            "costs time at the more expensive resolution."),
                       0, 100'000'000));
    s.push_back(ranged(make(WB_BIND(progressive.stable_images, int64_t), T::Int,
                            "Progressive growing", "Stable images",
                            "Images shown at each resolution after its fade-in (and at 4x4 "
                            "before the first). After the 32x32 fade-in training stays at 32x32 "
                            "for the rest of train.steps."),
                       1, 100'000'000));
    const char* batch_help =
        "Images per step at this resolution; 0 uses train.batch_size. Small resolutions are "
        "cheap, so larger batches there use the hardware better (ProGAN shrinks the batch as "
        "images grow, to fit memory). A fade-in uses the size of the resolution fading in.";
    s.push_back(ranged(make(WB_BIND(progressive.batch_4, int64_t), T::Int, "Progressive growing",
                            "Batch size at 4x4", batch_help),
                       0, 65536));
    s.push_back(ranged(make(WB_BIND(progressive.batch_8, int64_t), T::Int, "Progressive growing",
                            "Batch size at 8x8", batch_help),
                       0, 65536));
    s.push_back(ranged(make(WB_BIND(progressive.batch_16, int64_t), T::Int, "Progressive growing",
                            "Batch size at 16x16", batch_help),
                       0, 65536));
    s.push_back(ranged(make(WB_BIND(progressive.batch_32, int64_t), T::Int, "Progressive growing",
                            "Batch size at 32x32", batch_help),
                       0, 65536));

    s.push_back(make(WB_BIND(augment.diff, std::string), T::Text, "Augmentation", "DiffAugment",
                     "Image GANs: differentiable augmentations applied to real and fake images "
                     "before the discriminator, in both players' steps (Zhao et al. 2020): any "
                     "of color, translation, cutout, comma-separated; empty for none. Keeps the "
                     "discriminator from memorising a small data set. Costs a few cheap tensor "
                     "ops per step; the augmented images are what D sees, not what G learns to "
                     "make."));
    s.push_back(choice(
        make(
            WB_BIND(prune.method, std::string), T::Choice, "Pruning", "Pruning method",
            "none: train the dense model. magnitude: zero the individual weights with the "
            "smallest |w| (unstructured); the model gets smaller on disk when stored sparse, but "
            "dense kernels do the same work, so it is not faster. channel: remove whole "
            "convolution channels, neurons or attention heads with the smallest norm, and the "
            "inputs of the next layer that read them; the compacted model really is smaller and "
            "faster, and costs more quality per removed weight. 2:4: in every group of 4 "
            "consecutive weights along the input keep the 2 largest (50%), the pattern Ampere and "
            "later GPUs run on sparse tensor cores; on a CPU it only saves size. ProGAN: magnitude "
            "and 2:4 only."),
        {"none", "magnitude", "channel", "2:4"}));
    s.push_back(choice(
        make(WB_BIND(prune.scope, std::string), T::Choice, "Pruning", "Scope",
             "layer: every pruned layer loses the same share. global: one ranking across all "
             "pruned layers (channel: by mean norm per element), so layers with many small "
             "weights lose more and sensitive layers keep theirs; usually better quality for the "
             "same sparsity, but a layer can be thinned far more than the target."),
        {"layer", "global"}));
    s.push_back(choice(
        make(WB_BIND(prune.criterion, std::string), T::Choice, "Pruning", "Channel criterion",
             "channel only: rank units by the L1 norm (sum of |w|) or the L2 norm "
             "(square root of the sum of squares) of their weights. L2 favours "
             "units with a few large weights."),
        {"l1", "l2"}));
    s.push_back(choice(
        make(WB_BIND(prune.schedule, std::string), T::Choice, "Pruning", "Schedule",
             "oneshot: prune to the target at one step, then train on (fine-tune) to the end with "
             "the mask fixed. gradual: raise the sparsity from initial to target along Zhu & "
             "Gupta's cubic curve (2017), fast at first and slowly near the end, so the "
             "network can recover between prunings; costs more steps to finish."),
        {"oneshot", "gradual"}));
    s.push_back(ranged(
        make(WB_BIND(prune.at_step, int64_t), T::Int, "Pruning", "Prune at step",
             "oneshot: steps trained before pruning. 0 prunes the freshly initialised network; "
             "later pruning ranks weights the model has learned to use, and leaves fewer steps "
             "to recover."),
        0, kMaxSteps));
    s.push_back(ranged(make(WB_BIND(prune.initial, double), T::Float, "Pruning", "Initial sparsity",
                            "gradual: sparsity applied at the start step (usually 0)."),
                       0.0, 0.99));
    s.push_back(ranged(
        make(WB_BIND(prune.target, double), T::Float, "Pruning", "Target sparsity",
             "Share of the weights (magnitude) or of the channels, neurons and heads (channel) "
             "removed from each pruned layer (or from all of them, global scope). Higher saves "
             "more size and time and costs more quality. 2:4 is always 0.5."),
        0.0, 0.99));
    s.push_back(ranged(make(WB_BIND(prune.start_step, int64_t), T::Int, "Pruning",
                            "Gradual start step", "gradual: step of the first pruning."),
                       0, kMaxSteps));
    s.push_back(ranged(make(WB_BIND(prune.end_step, int64_t), T::Int, "Pruning", "Gradual end step",
                            "gradual: step at which the target is reached; the steps after it "
                            "fine-tune with the final mask."),
                       1, kMaxSteps));
    s.push_back(ranged(
        make(WB_BIND(prune.every_steps, int64_t), T::Int, "Pruning", "Prune every",
             "gradual: steps between mask updates. Each update re-ranks the weights and measures "
             "inference time and size, which costs a little time."),
        1, kMaxSteps));
    s.push_back(make(
        WB_BIND(prune.layers, std::string), T::Text, "Pruning", "Pruned layers",
        "Empty: the usual set (every linear and convolution layer except the first and last "
        "of each network; the GPT's attention and MLP layers, never embeddings or LayerNorms). "
        "Otherwise a comma-separated list of layer names as the run log lists them, e.g. "
        "g.net.3,d.net.2. Pruning the first or last layer usually costs most quality."));
    s.push_back(choice(
        make(WB_BIND(sampler.kind, std::string), T::Choice, "Sampling", "Sampler",
             "Which examples each step trains on. uniform: shuffled epochs, every example once "
             "per epoch; no bookkeeping. hard: online hard-example mining, draws examples in "
             "proportion to their last loss^alpha (mixed with uniform draws), so steps go where "
             "the model is still wrong; keeps one score per example in a sum tree (O(log n) per "
             "draw) and can focus on noisy or unlearnable examples. curriculum: starts on the "
             "easiest examples and grows the pool to all of them by full_at_step, then behaves "
             "as uniform; ranking by loss costs scoring passes over the whole set. Watch "
             "sampler/pool_fraction, sampler/mean_difficulty and sampler/unique_seen. gan_mlp's "
             "generated data has no finite set to sample from: uniform only."),
        {"uniform", "hard", "curriculum"}));
    s.push_back(ranged(
        make(WB_BIND(sampler.alpha, double), T::Float, "Sampling", "Hard: priority exponent",
             "hard only: an example is drawn in proportion to (its last loss)^alpha. 0 is "
             "uniform; 1 is fully proportional to the loss; 0.6 is prioritized replay's usual "
             "value. Higher focuses harder and sees less of the data."),
        0.0, 4.0));
    s.push_back(ranged(
        make(WB_BIND(sampler.uniform_mix, double), T::Float, "Sampling", "Hard: uniform share",
             "hard only: share of draws made uniformly at random regardless of the scores, so "
             "every example keeps a chance of at least uniform_mix/n and stale low scores get "
             "corrected. 1 is uniform sampling with replacement."),
        0.0, 1.0));
    s.push_back(ranged(
        make(WB_BIND(sampler.beta, double), T::Float, "Sampling", "Hard: importance weights",
             "hard only: weights each drawn example's loss by (n P(i))^-beta, normalised to at "
             "most 1, which undoes the bias of preferring hard examples (beta 1 removes it "
             "fully). 0 trains on the biased mix, which is what hard mining usually wants. "
             "Costs nothing measurable; shrinks the effective learning rate."),
        0.0, 1.0));
    s.push_back(ranged(
        make(WB_BIND(sampler.rescore_every, int64_t), T::Int, "Sampling", "Re-score every",
             "hard: steps between re-scoring rounds, each a forward pass without training over "
             "one batch of examples whose score is older than stale_after (scores of examples "
             "not drawn for long go stale as the model improves). curriculum with "
             "difficulty=loss: steps between scoring passes over the whole data set until the "
             "pool is full (one pass costs about a third of an epoch of training). 0: hard never "
             "re-scores; curriculum scores once, at the start."),
        0, kMaxSteps));
    s.push_back(
        ranged(make(WB_BIND(sampler.stale_after, int64_t), T::Int, "Sampling", "Hard: stale after",
                    "hard only: a score older than this many steps is re-scored in the next "
                    "re-scoring round (see rescore_every)."),
               1, kMaxSteps));
    s.push_back(choice(
        make(WB_BIND(sampler.difficulty, std::string), T::Choice, "Sampling",
             "Curriculum: difficulty",
             "curriculum only: how examples are ranked easy to hard. proxy: computed once "
             "from the data, free: images by ink plus edge energy, text windows by the mean "
             "surprisal of their characters (rare symbols are hard). loss: the current model's "
             "loss in a scoring pass over every example at the start (the untrained model's "
             "ranking) and every rescore_every steps; costs a forward pass over the data set "
             "each time."),
        {"proxy", "loss"}));
    s.push_back(choice(
        make(WB_BIND(sampler.pacing, std::string), T::Choice, "Sampling", "Curriculum: pacing",
             "curriculum only: how the pool of allowed examples grows from start_fraction to "
             "all of the data at full_at_step. linear: at a steady rate. root: fast at first, "
             "then slower (Platanios et al. 2019). step: in `stages` equal jumps."),
        {"linear", "root", "step"}));
    s.push_back(ranged(
        make(WB_BIND(sampler.start_fraction, double), T::Float, "Sampling",
             "Curriculum: start share",
             "curriculum only: share of the data (the easiest) in the pool at the first step. "
             "Small pools repeat the same easy examples and risk overfitting them."),
        0.001, 1.0));
    s.push_back(ranged(
        make(WB_BIND(sampler.full_at_step, int64_t), T::Int, "Sampling", "Curriculum: full at step",
             "curriculum only: the step from which every example is allowed; after it the "
             "sampler is plain shuffled epochs. Beyond train.steps the curriculum never ends."),
        1, kMaxSteps));
    s.push_back(
        ranged(make(WB_BIND(sampler.stages, int64_t), T::Int, "Sampling", "Curriculum: stages",
                    "curriculum with pacing=step only: the pool grows in this many "
                    "equal jumps."),
               1, 100));

    s.push_back(make(WB_BIND(augment.flip, bool), T::Bool, "Augmentation", "Flip images",
                     "vae and dcgan: mirror each training image left-right with probability "
                     "1/2, which doubles the variety of the data at no measurable cost. Fine "
                     "for clothes, wrong for text or digits."));
    s.push_back(ranged(
        make(WB_BIND(augment.translate, int64_t), T::Int, "Augmentation", "Translate images",
             "vae and dcgan: shift each training image by up to this many pixels in x and y, "
             "filling with background. The VAE learns (and generates) slightly shifted images; "
             "for the DCGAN only the real images are shifted, so the generator learns to make "
             "shifted images too (augmentation leaks). 0 off."),
        0, 8));
    s.push_back(ranged(
        make(WB_BIND(augment.cutout, int64_t), T::Int, "Augmentation", "Cutout size",
             "vae and dcgan: blank a square of this side at a random place in each training "
             "image (DeVries & Taylor 2017). The VAE sees the cut image but must reconstruct "
             "the whole one (a denoising task, so samples show no holes); for the DCGAN's real "
             "images the holes leak into the generated ones. 0 off."),
        0, 16));
    s.push_back(ranged(
        make(WB_BIND(augment.text_substitute, double), T::Float, "Augmentation",
             "Text: substitution rate",
             "gpt only: share of input characters replaced by a random character; the target "
             "stays the true next character, so the model learns to read past typos (a "
             "regulariser like dropout). Small rates (0.01-0.05) are typical."),
        0.0, 0.2));
    s.push_back(ranged(
        make(WB_BIND(augment.text_delete, double), T::Float, "Augmentation", "Text: deletion rate",
             "gpt only: share of characters deleted from each training window (inputs and "
             "targets, the following text closing the gap), as if the text had dropped "
             "letters. Small rates only: the model also learns to predict the damage."),
        0.0, 0.2));

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
    return s;
}

#undef WB_BIND

}  // namespace

const std::vector<FieldSpec>& schema() {
    static const std::vector<FieldSpec> kSchema = build();
    return kSchema;
}

const FieldSpec* find_field(const std::string& path) {
    for (const auto& f : schema())
        if (f.path == path) return &f;
    return nullptr;
}

const std::vector<SectionSpec>& sections() {
    static const std::vector<SectionSpec> kSections = {
        {"Model",
         "What is trained: the architecture and its size. Bigger models learn more "
         "and cost more time and memory per step."},
        {"Data",
         "What it learns from. Everything here works without a download: the mixture "
         "is generated, the image and text sets come from Debian packages."},
        {"Training", "How long and how: steps, batch size, seed, threads and device."},
        {"Optimizer",
         "How gradients become weight updates. The optimizer and learning rate "
         "decide how much each step buys."},
        {"Precision",
         "The number format of the arithmetic. Lower precision moves fewer bytes and uses "
         "faster tensor cores on GPUs; it can cost accuracy, and fp16 needs loss scaling."},
        {"GAN",
         "Controls of the adversarial game between generator and discriminator. They "
         "decide whether the generator covers all of the data or collapses onto a few "
         "modes."},
        {"Progressive growing",
         "Growing the networks from low to high resolution while training (ProGAN). Buys "
         "cheaper early steps and often steadier training; costs a longer schedule to tune."},
        {"Pruning",
         "Removing weights to make the model smaller and, for channel pruning, faster. The run "
         "measures what it bought (prune/sparsity, prune/params, prune/infer_ms against "
         "prune/infer_ms_dense, prune/size_*_bytes) and what it cost (the loss and quality "
         "curves). GAN runs time and size the generator, the part you deploy."},
        {"Sampling",
         "Which examples each step trains on. Smarter sampling (hard-example mining, "
         "curricula) tries to spend steps where they teach most; it costs bookkeeping and "
         "sometimes scoring passes, and does not always help."},
        {"Augmentation",
         "Random changes to the training examples that keep their meaning, so the model sees "
         "more variety than the data set holds, and DiffAugment, which changes what a GAN's "
         "discriminator sees so it cannot memorise the training images. Costs a little time "
         "per batch."},
        {"Checkpoints",
         "Saving state so a run can be resumed after a stop or a crash. Costs "
         "disk writes; buys the right to stop."},
        {"Evaluation",
         "Measuring quality and taking samples while training. Costs time that "
         "is not spent training; buys the curves that tell you what worked."},
    };
    return kSections;
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
        fields.push_back(std::move(j));
    }
    json secs = json::array();
    for (const auto& s : sections()) secs.push_back({{"name", s.name}, {"help", s.help}});
    return {{"sections", secs}, {"fields", fields}};
}

}  // namespace wb::api
