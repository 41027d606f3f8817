// What the trainers share about data sampling and augmentation: building the configured
// sampler, its metrics, and storing its state in a checkpoint.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "engine/api/run_config.h"
#include "engine/data/augment.h"
#include "engine/data/sampler.h"
#include "engine/train/trainer.h"

namespace wb::engine {

/// The sampler `config.sampler` asks for over `n` examples, seeded by train.seed. `proxy` is
/// called only for a proxy-ranked curriculum (one difficulty per example).
std::unique_ptr<data::Sampler> make_sampler(const api::RunConfig& config, int64_t n,
                                            const std::function<torch::Tensor()>& proxy);

/// sampler/pool_fraction, sampler/mean_difficulty and sampler/unique_seen.
void append_sampler_metrics(const data::Sampler& sampler, std::vector<Metric>* metrics);

/// The sampler's state as CBOR bytes in a uint8 tensor under "sampler".
void save_sampler(torch::serialize::OutputArchive& archive, const data::Sampler& sampler);
/// Throws data::DataError (naming the fix) when the stored state does not fit.
void load_sampler(torch::serialize::InputArchive& archive, data::Sampler& sampler);

data::ImageAugment image_augment(const api::AugmentConfig& augment);

/// The importance-weighted mean of per-example losses (weights all 1: the plain mean).
torch::Tensor weighted_mean(const torch::Tensor& per_example, const torch::Tensor& weights);

}  // namespace wb::engine
