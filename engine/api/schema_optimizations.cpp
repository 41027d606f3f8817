// The field table's optimization toggles: GAN controls, progressive growing, pruning, sampling
// and augmentation.
#include "engine/api/schema_build.h"

namespace wb::api::schema_build {

void add_optimization_fields(std::vector<FieldSpec>& s) {
    using T = FieldType;
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
}

}  // namespace wb::api::schema_build
