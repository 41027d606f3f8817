// The field table's sections, in display order, each with its teaching text.
#include "engine/api/schema.h"

namespace wb::api {

const std::vector<SectionSpec>& sections() {
    static const std::vector<SectionSpec> kSections = {
        {"Model",
         "What is trained: the architecture and its size. Bigger models learn more "
         "and cost more time and memory per step."},
        {"Attention",
         "The language model's attention: which earlier positions each position looks at. "
         "Sparse patterns cut the cost from the context's square to linear in it; they can "
         "cost a little loss. The picture shows what the chosen pattern keeps."},
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
        {"Growing networks",
         "Starting the language model small and growing it while it trains (dynamic depth and "
         "width): early steps are cheap, and the grown model keeps what the small one learnt "
         "because each growth preserves its function. Buys wall time to a given loss; costs a "
         "schedule to choose, and a model that ends no better than one trained at full size "
         "throughout. The GAN's other dynamic rule, adaptive discriminator steps "
         "(gan.d_steps_adaptive), changes the training rather than the network: D takes more "
         "steps per G step while it falls behind. The run shows model/params, grow/events and "
         "the loss on a fixed batch just before and after each growth (grow/loss_before, "
         "grow/loss_after)."},
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
        {"Distributed",
         "Training over several processes on PyTorch's c10d: each rank trains on a share of "
         "every batch and the gradients are averaged, or a stage of a model split over the "
         "ranks, or both (hybrid). Buys speed where cores or GPUs are to spare, or room for a "
         "bigger model; costs the communication and, for a pipeline, idle time."},
        {"Distillation",
         "Learning from a trained model: a GPT run from the history teaches this run's "
         "(usually smaller) GPT its softened predictions besides the data. Buys a small model "
         "that learns more per step; costs the teacher's forward pass every step."},
        {"Energy",
         "What a run's electricity costs: energy/joules measured (RAPL, NVML) or estimated, "
         "turned into cost and carbon with these prices. They change no training."},
    };
    return kSections;
}

}  // namespace wb::api
