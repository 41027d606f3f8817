// GanData: what a GAN trains on and how its quality is judged, so the GAN update is one loop for
// both: 2-D points drawn from a Gaussian mixture (the MLP GAN, judged by the modes it covers) or
// images from a data set with a sampler and augmentation (DCGAN, ProGAN, judged by FID/KID).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/api/run_config.h"
#include "engine/data/sampler.h"
#include "engine/eval/fid_metric.h"
#include "engine/train/trainer.h"

namespace wb::engine {

/// The generator's output (CPU, no gradient) for `n` noise draws.
using GenerateFn = std::function<torch::Tensor(int64_t n)>;

struct GanDataHooks {
    /// Per-image loss of real images (CPU, full resolution) under the current discriminator;
    /// the hard sampler's priority.
    std::function<torch::Tensor(const torch::Tensor& real)> judge;
    eval::LogFn log;
    eval::IdentityFn fid_identity;
};

class GanData {
public:
    virtual ~GanData() = default;
    /// The next `n` real examples, on the CPU; a sampled data set also sets `*batch`.
    virtual torch::Tensor next(int64_t n, std::optional<data::SamplerBatch>* batch) = 0;
    /// The data-order sampler, or nullptr when examples are drawn fresh.
    virtual data::Sampler* sampler() { return nullptr; }
    /// Quality: `fresh(n)` generates from n noise draws of the evaluation's generator `gen`.
    virtual std::vector<Metric> evaluate(const GenerateFn& fresh, at::Generator& gen) = 0;
    /// A preview; `fixed()` generates from the run's fixed noise batch (preview_count() draws).
    virtual Sample sample(const GenerateFn& fresh, const std::function<torch::Tensor()>& fixed,
                          at::Generator& gen) = 0;
    /// Size of the fixed noise batch: the preview grid, and the batch deployment is timed on.
    virtual int64_t preview_count() const = 0;
    virtual std::string source() const = 0;
};

/// The data `config.data.name` names (mixture2d or an image set; throws data::DataError for a
/// missing or corrupt file). `gen` is the run's generator (data order, augmentation).
std::unique_ptr<GanData> make_gan_data(const api::RunConfig& config, at::Generator gen,
                                       GanDataHooks hooks);

}  // namespace wb::engine
