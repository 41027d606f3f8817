// The metric table. Adding a metric to the engine means adding its row here; the catalog test
// fails for any name the engine reports that has no row.
#include "engine/api/metric_catalog.h"

namespace wb::api {
namespace {

using B = Better;
using G = PlotGroup;

std::vector<MetricInfo> build() {
    // Within a group the first rows are the headline metrics: held-out loss before training loss,
    // FID before the coverage of a 2-D mixture, peak before current memory.
    return {
        {"loss/val", "lm", "nats/token", G::Loss, B::Lower,
         "cross-entropy of the next character on held-out text (the validation split)"},
        {"loss/val", "vae", "nats/image", G::Loss, B::Lower,
         "negative ELBO (reconstruction + KL) per held-out test image"},
        {"loss/val_recon", "vae", "nats/image", G::Loss, B::Lower,
         "reconstruction term alone (binary cross-entropy per pixel, summed) on test images"},
        {"loss/train", "lm", "nats/token", G::Loss, B::Lower,
         "cross-entropy of the next character on the training batch"},
        {"loss/train", "vae", "nats/image", G::Loss, B::Lower,
         "negative ELBO (reconstruction + KL) per training image"},
        {"loss/recon", "vae", "nats/image", G::Loss, B::Lower,
         "reconstruction term of the training loss: how well decoded images match their inputs"},
        {"loss/kl", "vae", "nats/image", G::Loss, B::None,
         "KL divergence of the encoder's posterior from the prior; near 0 means the latent is "
         "ignored (posterior collapse), so lower is not better"},
        {"loss/g", "gan", "", G::Loss, B::None,
         "generator's adversarial loss; it moves with the discriminator's and does not measure "
         "sample quality (read the quality metrics)"},
        {"loss/d", "gan", "", G::Loss, B::None,
         "discriminator's (critic's) loss; near 0 for long means it wins and the generator "
         "learns nothing"},
        {"loss/gp", "gan", "", G::Loss, B::None,
         "gradient penalty term of WGAN-GP, already weighted by gan.gp_weight"},

        {"quality/fid", "gan", "", G::Quality, B::Lower,
         "Frechet distance between generated and real Fashion-MNIST features (0: the same "
         "statistics)"},
        {"quality/kid", "gan", "", G::Quality, B::Lower,
         "kernel inception distance on the same features; unbiased, so readable on few samples"},
        {"quality/modes_covered", "gan", "modes", G::Quality, B::Higher,
         "Gaussians of the ring that received generated samples (of data.modes)"},
        {"quality/hq_fraction", "gan", "fraction", G::Quality, B::Higher,
         "share of generated points within 3 standard deviations of a mode"},

        // What one sample is depends on the model, so samples/s compare only within a family.
        {"throughput/samples_per_s", "gan", "samples/s", G::Throughput, B::Higher,
         "real samples (images or 2-D points) the discriminator judged per second of step time"},
        {"throughput/samples_per_s", "vae", "samples/s", G::Throughput, B::Higher,
         "training images per second of step time"},
        {"throughput/samples_per_s", "lm", "samples/s", G::Throughput, B::Higher,
         "training windows (train.batch_size sequences of model.context characters) per second "
         "of step time"},
        {"throughput/tokens_per_s", "", "tokens/s", G::Throughput, B::Higher,
         "tokens (for the GPT: characters) of context trained per second of step time"},
        {"memory/peak_bytes", "", "bytes", G::Memory, B::Lower,
         "highest memory the process or device allocator held so far"},
        {"memory/allocated_bytes", "", "bytes", G::Memory, B::Lower, "memory held after the step"},
        {"memory/activation_bytes", "lm", "bytes", G::Memory, B::Lower,
         "memory the step's forward passes held for backward (activations, allocator growth "
         "from the step's start); a pipeline's: the largest stage's, at its fullest"},

        // Measured or estimated: the run's environment record "energy" says which (energy_info.h).
        {"energy/joules", "", "J", G::Energy, B::Lower,
         "energy the run drew so far (RAPL, NVML, or estimated from CPU time and GPU use)"},
        {"energy/kwh", "", "kWh", G::Energy, B::Lower, "energy/joules in kilowatt-hours"},
        {"energy/watts", "", "W", G::Energy, B::Lower,
         "average power over the last few seconds of training"},
        {"cost/total", "", "currency", G::Energy, B::Lower,
         "energy/kwh times energy.price_kwh, plus GPU-hours times energy.price_gpu_hour"},
        {"carbon/grams", "", "gCO2e", G::Energy, B::Lower,
         "energy/kwh times energy.carbon_g_per_kwh, the grid's carbon intensity"},

        // Distillation (distill.*).
        {"distill/kd_loss", "lm", "nats/token", G::Loss, B::Lower,
         "T^2 x KL(teacher || student) at distill.temperature T, the mean over the batch's "
         "positions: how far the student's predictions are from the teacher's"},
        {"distill/agreement", "lm", "fraction", G::Quality, B::Higher,
         "share of the batch's positions where the student's most likely next character is the "
         "teacher's"},

        // Data parallel (engine/dist): recorded by rank 0 for every rank.
        {"dist/world_size", "", "ranks", G::Other, B::None,
         "processes training the run together (data parallel); 1 row at the start"},
        {"dist/comm_ms", "", "ms", G::Throughput, B::Lower,
         "rank 0's time in collectives this step (gradient all-reduce, metric reduction, "
         "agreeing on stop/pause), waiting for slower ranks included"},
        {"dist/bubble_fraction", "lm", "fraction", G::Throughput, B::Lower,
         "pipeline: share of the step a stage spent not computing (waiting for its neighbours), "
         "the mean over the stages; ideally (p-1)/(m+p-1) for p stages and m micro-batches"},
        {"dist/step_ms_", "", "ms", G::Throughput, B::Lower,
         "wall time of the step on that rank (dist/step_ms_rank1 is rank 1's)"},
        {"dist/peak_bytes_", "", "bytes", G::Memory, B::Lower,
         "that rank's peak memory so far (its process's peak RSS on the CPU)"},
        {"dist/joules_", "", "J", G::Energy, B::Lower,
         "that rank's share of energy/joules this session (a machine-wide RAPL reading counts "
         "on each machine's first rank only)"},
        {"time/step_ms", "", "ms", G::Other, B::Lower,
         "wall time of one training step, data loading included"},
        {"lr", "", "", G::Other, B::None, "learning rate of this step, after warm-up and schedule"},
        {"grad/norm", "", "", G::Other, B::None,
         "global L2 norm of the gradients before clipping, every few steps"},
        {"grad/norm_", "", "", G::Other, B::None,
         "global L2 norm of one network's gradients before clipping (suffix d: discriminator, "
         "g: generator)"},
        {"amp/loss_scale", "", "", G::Other, B::None,
         "fp16 dynamic loss scale: halves on an overflow, grows after a run of good steps"},
        {"amp/skipped_steps", "", "steps", G::Other, B::Lower,
         "optimizer steps skipped so far because fp16 gradients overflowed"},

        {"gan/d_accuracy", "gan", "fraction", G::Other, B::None,
         "share of real and generated samples the discriminator classifies right; 0.5 means it "
         "cannot tell them apart"},
        {"gan/d_steps", "gan", "steps", G::Other, B::None,
         "discriminator updates per generator update in this step"},
        {"gan/d_real", "gan", "probability", G::Other, B::None,
         "mean probability the discriminator gives real samples"},
        {"gan/d_fake", "gan", "probability", G::Other, B::None,
         "mean probability the discriminator gives generated samples"},
        {"gan/d_real_score", "gan", "", G::Other, B::None,
         "mean critic score of real samples (WGAN and hinge losses)"},
        {"gan/d_fake_score", "gan", "", G::Other, B::None,
         "mean critic score of generated samples (WGAN and hinge losses)"},
        {"progressive/resolution", "gan", "pixels", G::Other, B::None,
         "side of the images ProGAN trains at in this phase"},
        {"progressive/alpha", "gan", "fraction", G::Other, B::None,
         "fade-in weight of the newest ProGAN layer (1: fully faded in)"},
        {"progressive/images_seen", "gan", "images", G::Other, B::None,
         "real images shown to the discriminator so far; drives the ProGAN schedule"},

        {"prune/sparsity", "", "fraction", G::Other, B::None,
         "share of zero weights in the pruned weight matrices"},
        {"prune/target", "", "fraction", G::Other, B::None,
         "sparsity the pruning schedule asks for at this step"},
        {"prune/params", "", "parameters", G::Other, B::Lower,
         "non-zero parameters of the model as it would be exported"},
        {"prune/infer_ms", "", "ms", G::Other, B::Lower,
         "inference time of one batch with the exported (compacted) model"},
        {"prune/infer_ms_dense", "", "ms", G::Other, B::None,
         "inference time of the same weights in the unpruned shape, for reference"},
        {"prune/size_dense_bytes", "", "bytes", G::Other, B::None,
         "size of the model's tensors stored densely, for reference"},
        {"prune/size_compact_bytes", "", "bytes", G::Other, B::Lower,
         "size with pruned channels removed"},
        {"prune/size_sparse_bytes", "", "bytes", G::Other, B::Lower,
         "size with pruned channels removed and every tensor as bitmap + non-zeros where smaller"},

        {"model/params", "lm", "parameters", G::Other, B::None,
         "parameters of the model now: at the start and after every growth (grow.*)"},
        {"grow/events", "lm", "growths", G::Other, B::None,
         "growths of the model so far (grow.at_steps)"},
        {"grow/loss_before", "lm", "nats/token", G::Other, B::None,
         "loss on a fixed held-out batch just before a growth"},
        {"grow/loss_after", "lm", "nats/token", G::Other, B::None,
         "loss on the same batch just after it: equal to grow/loss_before when the growth "
         "preserved the model's function (identity blocks, widening without noise)"},
        {"grow/ms", "lm", "ms", G::Other, B::Lower,
         "time the growth itself took (new model, copied weights and optimizer state)"},

        {"sampler/pool_fraction", "", "fraction", G::Other, B::None,
         "share of the data set the last batch could be drawn from (a curriculum grows it)"},
        {"sampler/mean_difficulty", "", "", G::Other, B::None,
         "mean difficulty of the last batch (its training loss, or the curriculum's score)"},
        {"sampler/unique_seen", "", "fraction", G::Other, B::None,
         "share of the data set drawn at least once so far"},
    };
}

bool matches(const MetricInfo& m, const std::string& name) {
    if (!m.name.empty() && m.name.back() == '_')
        return name.size() > m.name.size() && name.compare(0, m.name.size(), m.name) == 0;
    return m.name == name;
}

}  // namespace

const std::vector<MetricInfo>& metric_catalog() {
    static const std::vector<MetricInfo> kCatalog = build();
    return kCatalog;
}

std::string model_family(const std::string& kind) {
    if (kind == "gan_mlp" || kind == "dcgan" || kind == "progan") return "gan";
    if (kind == "vae") return "vae";
    if (kind == "gpt") return "lm";
    return {};
}

const MetricInfo* find_metric(const std::string& name, const std::string& kind) {
    const std::string family = model_family(kind);
    const MetricInfo* any = nullptr;
    for (const MetricInfo& m : metric_catalog()) {
        if (!matches(m, name)) continue;
        if (m.family.empty()) return &m;
        if (m.family == family) return &m;
        // A family's row still describes the name for a run whose model is unknown.
        if (family.empty() && !any) any = &m;
    }
    return any;
}

bool same_meaning(const std::string& name_a, const std::string& kind_a, const std::string& name_b,
                  const std::string& kind_b) {
    if (name_a.empty() || name_a != name_b) return false;
    const MetricInfo* a = find_metric(name_a, kind_a);
    const MetricInfo* b = find_metric(name_b, kind_b);
    if (a || b)
        return a == b && (a->family.empty() || model_family(kind_a) == model_family(kind_b));
    return model_family(kind_a) == model_family(kind_b);
}

const char* to_string(Better better) {
    switch (better) {
        case Better::Higher:
            return "higher is better";
        case Better::Lower:
            return "lower is better";
        case Better::None:
            break;
    }
    return "no better direction";
}

}  // namespace wb::api
