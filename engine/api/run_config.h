// RunConfig: the one plain description of a training run, shared by the UI, the CLI and the engine.
// Field metadata (ranges, labels, teaching texts) lives in schema.h; JSON and validation go through
// it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace wb::api {

struct ModelConfig {
    std::string kind = "gan_mlp";     ///< gan_mlp | dcgan | progan | vae | gpt
    int64_t latent_dim = 8;           ///< noise / latent size (GAN, VAE)
    int64_t width = 128;              ///< hidden units (MLP), base channels (conv), embedding (GPT)
    int64_t layers = 3;               ///< hidden layers (MLP) or transformer blocks (GPT)
    int64_t heads = 4;                ///< attention heads (GPT)
    int64_t context = 64;             ///< context length in characters (GPT)
    double dropout = 0.0;             ///< dropout probability (GPT)
    std::string attention = "dense";  ///< dense | window | block (GPT, attention_pattern.h)
    int64_t window = 128;             ///< window: positions each position attends to
    int64_t block_size = 32;          ///< block: block size; divides the context
    int64_t summary_tokens = 4;       ///< block: last positions of a block later blocks see
    int64_t global_tokens = 0;        ///< block: first positions every position sees
    bool equalized_lr = true;         ///< ProGAN: weights scaled at run time by He's constant
    bool pixel_norm = true;           ///< ProGAN: per-pixel feature normalisation in the generator
    bool minibatch_stddev = true;     ///< ProGAN: minibatch standard deviation feature in D
};

struct DataConfig {
    std::string name = "mixture2d";  ///< mixture2d | fashion_mnist | text
    std::string path;                ///< empty: the built-in default for `name`
    double val_fraction = 0.1;       ///< held-out share (text)
    int64_t modes = 8;               ///< mixture2d: Gaussians on the ring
    double radius = 2.0;             ///< mixture2d: ring radius
    double std = 0.05;               ///< mixture2d: standard deviation of each Gaussian
};

struct TrainConfig {
    int64_t steps = 2000;
    int64_t batch_size = 256;
    int64_t seed = 42;
    int64_t threads = 0;              ///< 0: every core of the machine
    std::string cpu_gemm = "onednn";  ///< onednn | blas: the GPT's fully connected layers on CPU
};

struct OptimConfig {
    std::string name = "adam";  ///< sgd | adam | adamw | adabelief | lamb
    double lr = 1e-3;
    double beta1 = 0.5;
    double beta2 = 0.999;
    double eps = 0.0;  ///< 0: the optimizer's own default (1e-8 adam, 1e-16 adabelief, 1e-6 lamb)
    double momentum = 0.9;  ///< sgd only
    bool nesterov = false;  ///< sgd only
    double weight_decay = 0.0;
    std::string schedule = "constant";  ///< constant | cosine
    int64_t warmup_steps = 0;           ///< linear warm-up from 0 to lr
    double grad_clip = 0.0;             ///< global L2 norm limit; 0: no clipping
    bool fused = false;  ///< one fused kernel pass per step (adam/adamw/adabelief/lamb)
};

/// Dynamic loss scaling for fp16 (the semantics of PyTorch's torch.amp.GradScaler).
struct AmpConfig {
    double init_scale = 65536.0;
    double growth_factor = 2.0;
    double backoff_factor = 0.5;
    int64_t growth_interval = 2000;
};

struct GanConfig {
    int64_t pack = 1;                     ///< PacGAN: samples the discriminator judges together
    std::string loss = "non_saturating";  ///< non_saturating | hinge | wgan_gp
    double gp_weight = 10.0;              ///< wgan_gp: gradient penalty weight
    int64_t d_steps_per_g = 1;            ///< discriminator updates per generator update
    bool d_steps_adaptive = false;        ///< adjust d_steps from D's accuracy
    int64_t d_steps_max = 5;              ///< adaptive: upper bound
    double d_target_accuracy = 0.75;      ///< adaptive: accuracy D is steered towards
    double g_ema = 0.0;                   ///< EMA decay of G's weights for samples/eval; 0: off
};

struct ProgressiveConfig {
    bool enabled = false;           ///< grow 4 -> 8 -> 16 -> 32 (model.kind progan)
    int64_t fade_images = 12800;    ///< images shown to D while a new block fades in
    int64_t stable_images = 12800;  ///< images shown to D at each resolution once faded in
    int64_t batch_4 = 0;            ///< batch size at 4x4; 0: train.batch_size
    int64_t batch_8 = 0;
    int64_t batch_16 = 0;
    int64_t batch_32 = 0;
};

struct PruneConfig {
    std::string method = "none";       ///< none | magnitude | channel | 2:4
    std::string scope = "layer";       ///< layer | global
    std::string criterion = "l1";      ///< l1 | l2 (channel)
    std::string schedule = "oneshot";  ///< oneshot | gradual
    int64_t at_step = 500;             ///< oneshot: prune after this many steps
    double initial = 0.0;              ///< gradual: sparsity at start_step
    double target = 0.5;               ///< final share of weights (magnitude) or units (channel)
    int64_t start_step = 0;            ///< gradual
    int64_t end_step = 1000;           ///< gradual
    int64_t every_steps = 100;         ///< gradual: steps between mask updates
    std::string layers;                ///< comma-separated layer names; empty: the default set
};

/// Growing the language model while it trains (engine/grow): at each step of at_steps the GPT
/// becomes as deep and wide as the matching entry of layers and width (comma-separated lists).
struct GrowConfig {
    std::string at_steps;             ///< "300,600": steps after which it grows; empty: off
    std::string layers;               ///< "3,4": blocks after each growth; empty: depth stays
    std::string width;                ///< "128": width after each growth (multiples); empty: stays
    std::string method = "identity";  ///< identity | stack: what the new blocks start from
    double noise = 1e-3;              ///< std of the noise that lets widened copies learn apart
};

struct SamplerConfig {
    std::string kind = "uniform";      ///< uniform | hard | curriculum
    double alpha = 0.6;                ///< hard: priority exponent on the last loss
    double beta = 0.0;                 ///< hard: importance-weight exponent; 0 off
    double uniform_mix = 0.2;          ///< hard: share of draws that ignore the scores
    int64_t rescore_every = 0;         ///< hard and curriculum (loss): steps between re-scoring
    int64_t stale_after = 1000;        ///< hard: age in steps that makes a score stale
    std::string difficulty = "proxy";  ///< curriculum: proxy | loss
    std::string pacing = "linear";     ///< curriculum: linear | root | step
    double start_fraction = 0.2;       ///< curriculum: share of the data in the first pool
    int64_t full_at_step = 1000;       ///< curriculum: step at which the pool is all of the data
    int64_t stages = 4;                ///< curriculum, step pacing: increments of the pool
};

struct AugmentConfig {
    bool flip = false;             ///< images: random horizontal flip
    int64_t translate = 0;         ///< images: random shift by up to this many pixels
    int64_t cutout = 0;            ///< images: side of a square cut out; 0 off
    double text_substitute = 0.0;  ///< text: per-character substitution rate of the inputs
    double text_delete = 0.0;      ///< text: per-character deletion rate
    std::string diff;              ///< GANs, DiffAugment: any of "color,translation,cutout"
};

struct CheckpointConfig {
    int64_t every_steps = 500;  ///< 0: only when the run stops or ends
};

struct EvalConfig {
    int64_t every_steps = 250;
    int64_t samples = 2500;  ///< generated samples (mixture2d, FID) or validation examples
    bool fid = true;         ///< image GANs: quality/fid and quality/kid
    std::string extractor;   ///< FID feature extractor file; empty: the one in the data folder
};

struct SampleConfig {
    int64_t every_steps = 250;
};

/// What a run's energy costs and emits (engine/energy): prices, grid intensity, and the powers the
/// estimate uses where the hardware reports none.
struct EnergyConfig {
    double price_kwh = 0.30;         ///< price of 1 kWh, in the user's currency
    double price_gpu_hour = 0.0;     ///< rent of one GPU for an hour; 0: own hardware
    double carbon_g_per_kwh = 475;   ///< grid carbon intensity, gCO2e per kWh
    double cpu_watts_per_core = 10;  ///< estimate: watts of one fully busy core
    double gpu_watts = 300;          ///< estimate: watts of the GPU at full utilisation
};

/// Training over several processes (engine/dist, issue 15) on PyTorch's c10d: Gloo on the CPU.
/// train.batch_size stays the global batch, split evenly over the ranks.
struct DistConfig {
    std::string mode = "off";       ///< off | data | pipeline | hybrid
    int64_t world_size = 2;         ///< ranks this machine starts when the run launches them itself
    double bucket_mb = 25;          ///< gradients all-reduced per bucket of this many MiB
    bool sync_batch_norm = true;    ///< batch norm statistics over every rank's share (DCGAN)
    std::string backend = "auto";   ///< auto | gloo
    double timeout_s = 300;         ///< the longest any collective may wait for the other ranks
    int64_t micro_batches = 4;      ///< pipeline: micro-batches each batch is split into
    std::string schedule = "1f1b";  ///< pipeline: gpipe | 1f1b
    std::string balance = "params";  ///< pipeline: params | time (how blocks split into stages)
    int64_t stages = 2;  ///< hybrid: pipeline stages; the ranks / stages replicas each hold one

    /// Whether the GPT is split into pipeline stages (pipeline or hybrid).
    bool pipelined() const { return mode == "pipeline" || mode == "hybrid"; }
    /// Pipeline stages over `world` ranks: every rank in pipeline mode, dist.stages in hybrid.
    int64_t stage_count(int64_t world) const { return mode == "hybrid" ? stages : world; }
    /// Copies of the model that train on their own share of each batch: the ranks in data
    /// parallel, world / stages in hybrid, one in pipeline mode.
    int64_t replicas(int64_t world) const {
        if (mode == "data") return world;
        if (mode == "hybrid") return stages > 0 ? world / stages : 1;
        return 1;
    }

    /// Whether the run trains over several ranks (any mode but off).
    bool distributed() const { return mode != "off"; }
};

/// Knowledge distillation (issue 16): the run's GPT (the student) learns from a trained one in
/// the history (the teacher), besides the data. The loss is alpha * T^2 * KL(teacher || student)
/// at temperature T plus (1 - alpha) * the cross-entropy with the data, as Hugging Face's
/// distiller writes it (alpha here weights the teacher's part).
struct DistillConfig {
    int64_t teacher = 0;       ///< the teacher's run id in the same database; 0: no distillation
    double alpha = 0.5;        ///< weight of the teacher's (soft) loss; 1 - alpha: the data's
    double temperature = 2.0;  ///< softens both distributions; the KL term is scaled by T^2

    bool enabled() const { return teacher > 0; }
};

struct ConfigError {
    std::string path;     ///< field key path, e.g. "train.steps"; empty for whole-config problems
    std::string message;  ///< what is wrong and what is allowed
};

struct RunConfig {
    ModelConfig model;
    DataConfig data;
    TrainConfig train;
    OptimConfig optim;
    std::string device = "auto";     ///< auto | cpu | cuda
    std::string precision = "fp32";  ///< fp32 | bf16 | fp16 (autocast; fp16 with loss scaling)
    AmpConfig amp;
    GanConfig gan;
    ProgressiveConfig progressive;
    PruneConfig prune;
    GrowConfig grow;
    SamplerConfig sampler;
    AugmentConfig augment;
    CheckpointConfig checkpoint;
    EvalConfig eval;
    SampleConfig sample;
    EnergyConfig energy;
    DistConfig dist;
    DistillConfig distill;

    /// Nested JSON object with every field.
    nlohmann::json to_json() const;
    /// Reads a (possibly partial) nested JSON object over `base`; unknown keys and wrong types
    /// are appended to `errors` and leave the field unchanged.
    static RunConfig from_json(const nlohmann::json& j, std::vector<ConfigError>* errors,
                               const RunConfig& base);
    static RunConfig from_json(const nlohmann::json& j, std::vector<ConfigError>* errors);
    /// Sets one field from text ("train.steps", "500"); returns false and appends an error.
    bool set(const std::string& path, const std::string& value, std::vector<ConfigError>* errors);
    /// Every problem at once: ranges, choices and combinations that cannot work.
    std::vector<ConfigError> validate() const;

    bool operator==(const RunConfig& other) const;
};

/// "train.steps: 0 is out of range [1, 10000000]" style, one per line.
std::string format_errors(const std::vector<ConfigError>& errors);

}  // namespace wb::api
