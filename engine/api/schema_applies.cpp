// Where each field has an effect: the one table that the form (which fields to show), validate()
// (a setting that would do nothing is an error) and `workbench-cli schema --json` read.
#include <map>
#include <stdexcept>

#include "engine/api/schema_build.h"

namespace wb::api::schema_build {
namespace {

using json = nlohmann::json;
using Models = std::vector<std::string>;

const Models kAll = {};
const Models kGans = {"gan_mlp", "dcgan", "progan"};
const Models kImageGans = {"dcgan", "progan"};
const Models kImages = {"dcgan", "progan", "vae"};
const Models kDatasets = {"dcgan", "progan", "vae", "gpt"};  // a finite set of examples
const Models kGpt = {"gpt"};
const Models kProgan = {"progan"};
const Models kMixture = {"gan_mlp"};

AppliesTo to(Models models, std::string field = {}, std::vector<json> values = {}) {
    return {std::move(models), std::move(field), std::move(values)};
}

const std::vector<json> kAdaptive = {"adam", "adamw", "adabelief", "lamb"};
const std::vector<json> kPruning = {"magnitude", "channel", "2:4"};
const std::vector<json> kDataParallel = {"data"};
const std::vector<json> kDistributed = {"data", "pipeline", "hybrid"};
const std::vector<json> kPipeline = {"pipeline", "hybrid"};
const std::vector<json> kHybrid = {"hybrid"};
const std::vector<json> kGpuDevices = {"auto", "cuda"};  // auto trains on a GPU where one is

const std::map<std::string, AppliesTo>& table() {
    static const std::map<std::string, AppliesTo> t = {
        {"model.kind", to(kAll)},
        {"model.latent_dim", to({"gan_mlp", "dcgan", "progan", "vae"})},
        {"model.width", to(kAll)},
        {"model.layers", to({"gan_mlp", "gpt"})},
        {"model.heads", to(kGpt)},
        {"model.context", to(kGpt)},
        {"model.dropout", to(kGpt)},
        {"model.attention", to(kGpt)},
        {"model.window", to(kGpt, "model.attention", {"window"})},
        {"model.block_size", to(kGpt, "model.attention", {"block"})},
        {"model.summary_tokens", to(kGpt, "model.attention", {"block"})},
        {"model.global_tokens", to(kGpt, "model.attention", {"block"})},
        {"model.equalized_lr", to(kProgan)},
        {"model.pixel_norm", to(kProgan)},
        {"model.minibatch_stddev", to(kProgan)},
        {"data.name", to(kAll)},
        {"data.path", to(kDatasets)},
        {"data.val_fraction", to(kGpt)},
        {"data.modes", to(kMixture)},
        {"data.radius", to(kMixture)},
        {"data.std", to(kMixture)},
        {"train.steps", to(kAll)},
        {"train.batch_size", to(kAll)},
        {"train.seed", to(kAll)},
        {"train.threads", to(kAll)},
        {"train.cpu_gemm", to(kGpt)},
        {"device", to(kAll)},
        {"precision", to(kAll)},
        {"amp.init_scale", to(kAll, "precision", {"fp16"})},
        {"amp.growth_factor", to(kAll, "precision", {"fp16"})},
        {"amp.backoff_factor", to(kAll, "precision", {"fp16"})},
        {"amp.growth_interval", to(kAll, "precision", {"fp16"})},
        {"optim.name", to(kAll)},
        {"optim.lr", to(kAll)},
        {"optim.beta1", to(kAll, "optim.name", kAdaptive)},
        {"optim.beta2", to(kAll, "optim.name", kAdaptive)},
        {"optim.eps", to(kAll, "optim.name", kAdaptive)},
        {"optim.momentum", to(kAll, "optim.name", {"sgd"})},
        {"optim.nesterov", to(kAll, "optim.name", {"sgd"})},
        {"optim.weight_decay", to(kAll)},
        {"optim.schedule", to(kAll)},
        {"optim.warmup_steps", to(kAll)},
        {"optim.grad_clip", to(kAll)},
        {"optim.fused", to(kAll, "optim.name", kAdaptive)},
        {"checkpoint.every_steps", to(kAll)},
        {"eval.every_steps", to(kAll)},
        {"eval.samples", to(kAll)},
        {"eval.fid", to(kImageGans)},
        {"eval.extractor", to(kImageGans, "eval.fid", {true})},
        {"sample.every_steps", to(kAll)},
        {"gan.pack", to(kGans)},
        {"gan.loss", to(kGans)},
        {"gan.gp_weight", to(kGans, "gan.loss", {"wgan_gp"})},
        {"gan.d_steps_per_g", to(kGans)},
        {"gan.d_steps_adaptive", to(kGans)},
        {"gan.d_steps_max", to(kGans, "gan.d_steps_adaptive", {true})},
        {"gan.d_target_accuracy", to(kGans, "gan.d_steps_adaptive", {true})},
        {"gan.g_ema", to(kGans)},
        {"progressive.enabled", to(kProgan)},
        {"progressive.fade_images", to(kProgan, "progressive.enabled", {true})},
        {"progressive.stable_images", to(kProgan, "progressive.enabled", {true})},
        {"progressive.batch_4", to(kProgan, "progressive.enabled", {true})},
        {"progressive.batch_8", to(kProgan, "progressive.enabled", {true})},
        {"progressive.batch_16", to(kProgan, "progressive.enabled", {true})},
        {"progressive.batch_32", to(kProgan, "progressive.enabled", {true})},
        {"augment.diff", to(kImageGans)},
        {"prune.method", to(kAll)},
        {"prune.scope", to(kAll, "prune.method", kPruning)},
        {"prune.criterion", to(kAll, "prune.method", {"channel"})},
        {"prune.schedule", to(kAll, "prune.method", kPruning)},
        {"prune.at_step", to(kAll, "prune.schedule", {"oneshot"})},
        {"prune.initial", to(kAll, "prune.schedule", {"gradual"})},
        {"prune.target", to(kAll, "prune.method", kPruning)},
        {"prune.start_step", to(kAll, "prune.schedule", {"gradual"})},
        {"prune.end_step", to(kAll, "prune.schedule", {"gradual"})},
        {"prune.every_steps", to(kAll, "prune.schedule", {"gradual"})},
        {"prune.layers", to(kAll, "prune.method", kPruning)},
        {"grow.at_steps", to(kGpt)},
        {"grow.layers", to(kGpt)},
        {"grow.width", to(kGpt)},
        {"grow.method", to(kGpt)},
        {"grow.noise", to(kGpt)},
        {"sampler.kind", to(kDatasets)},
        {"sampler.alpha", to(kDatasets, "sampler.kind", {"hard"})},
        {"sampler.uniform_mix", to(kDatasets, "sampler.kind", {"hard"})},
        {"sampler.beta", to(kDatasets, "sampler.kind", {"hard"})},
        {"sampler.rescore_every", to(kDatasets, "sampler.kind", {"hard"})},
        {"sampler.stale_after", to(kDatasets, "sampler.kind", {"hard"})},
        {"sampler.difficulty", to(kDatasets, "sampler.kind", {"curriculum"})},
        {"sampler.pacing", to(kDatasets, "sampler.kind", {"curriculum"})},
        {"sampler.start_fraction", to(kDatasets, "sampler.kind", {"curriculum"})},
        {"sampler.full_at_step", to(kDatasets, "sampler.kind", {"curriculum"})},
        {"sampler.stages", to(kDatasets, "sampler.pacing", {"step"})},
        {"augment.flip", to(kImages)},
        {"augment.translate", to(kImages)},
        {"augment.cutout", to(kImages)},
        {"augment.text_substitute", to(kGpt)},
        {"augment.text_delete", to(kGpt)},
        {"dist.mode", to(kAll)},
        {"dist.world_size", to(kAll, "dist.mode", kDistributed)},
        {"dist.bucket_mb", to(kAll, "dist.mode", kDataParallel)},
        {"dist.backend", to(kAll, "dist.mode", kDistributed)},
        {"dist.sync_batch_norm", to({"dcgan"}, "dist.mode", kDataParallel)},
        {"dist.timeout_s", to(kAll, "dist.mode", kDistributed)},
        {"dist.micro_batches", to(kGpt, "dist.mode", kPipeline)},
        {"dist.schedule", to(kGpt, "dist.mode", kPipeline)},
        {"dist.balance", to(kGpt, "dist.mode", kPipeline)},
        {"dist.stages", to(kGpt, "dist.mode", kHybrid)},
        {"distill.teacher", to(kGpt)},
        {"distill.alpha", to(kGpt)},
        {"distill.temperature", to(kGpt)},
        {"energy.price_kwh", to(kAll)},
        {"energy.price_gpu_hour", to(kAll, "device", kGpuDevices)},
        {"energy.carbon_g_per_kwh", to(kAll)},
        {"energy.cpu_watts_per_core", to(kAll)},
        {"energy.gpu_watts", to(kAll, "device", kGpuDevices)},
    };
    return t;
}

}  // namespace

void set_applies_to(std::vector<FieldSpec>& fields) {
    const auto& t = table();
    if (t.size() != fields.size())
        throw std::logic_error("schema_applies.cpp lists " + std::to_string(t.size()) +
                               " fields, the schema has " + std::to_string(fields.size()));
    for (auto& f : fields) {
        auto it = t.find(f.path);
        if (it == t.end())
            throw std::logic_error("schema_applies.cpp does not say where " + f.path + " applies");
        f.applies_to = it->second;
    }
}

}  // namespace wb::api::schema_build
