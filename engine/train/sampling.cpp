#include "engine/train/sampling.h"

#include <nlohmann/json.hpp>

#include "engine/data/data_error.h"

namespace wb::engine {

std::unique_ptr<data::Sampler> make_sampler(const api::RunConfig& config, int64_t n,
                                            const std::function<torch::Tensor()>& proxy) {
    const auto& s = config.sampler;
    data::SamplerOptions o;
    o.kind = s.kind;
    o.seed = static_cast<uint64_t>(config.train.seed);
    o.alpha = s.alpha;
    o.beta = s.beta;
    o.uniform_mix = s.uniform_mix;
    o.rescore_every = s.rescore_every;
    o.stale_after = s.stale_after;
    o.difficulty = s.difficulty;
    o.pacing = s.pacing;
    o.start_fraction = s.start_fraction;
    o.full_at_step = s.full_at_step;
    o.stages = s.stages;
    return data::make_sampler(o, n, proxy);
}

void append_sampler_metrics(const data::Sampler& sampler, std::vector<Metric>* metrics) {
    const auto m = sampler.metrics();
    metrics->push_back({"sampler/pool_fraction", m.pool_fraction});
    metrics->push_back({"sampler/mean_difficulty", m.mean_difficulty});
    metrics->push_back({"sampler/unique_seen", m.unique_seen});
}

void save_sampler(torch::serialize::OutputArchive& archive, const data::Sampler& sampler) {
    const std::vector<uint8_t> bytes = nlohmann::json::to_cbor(sampler.state());
    auto t = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
    std::copy(bytes.begin(), bytes.end(), t.data_ptr<uint8_t>());
    archive.write("sampler", t);
}

void load_sampler(torch::serialize::InputArchive& archive, data::Sampler& sampler) {
    torch::Tensor t;
    try {
        archive.read("sampler", t);
    } catch (const c10::Error&) {
        throw data::DataError(
            "the checkpoint has no sampler state in this build's format (it was written by an "
            "older build); start a new run, or resume it with the build that wrote it");
    }
    t = t.to(torch::kCPU, torch::kUInt8).contiguous();
    const uint8_t* p = t.data_ptr<uint8_t>();
    nlohmann::json state;
    try {
        state = nlohmann::json::from_cbor(p, p + t.numel());
    } catch (const std::exception& e) {
        throw data::DataError(std::string("the sampler state in the checkpoint does not parse (") +
                              e.what() + "); resume from an earlier checkpoint or start anew");
    }
    sampler.load_state(state);
}

data::ImageAugment image_augment(const api::AugmentConfig& augment) {
    data::ImageAugment a;
    a.flip = augment.flip;
    a.translate = augment.translate;
    a.cutout = augment.cutout;
    return a;
}

torch::Tensor weighted_mean(const torch::Tensor& per_example, const torch::Tensor& weights) {
    return (per_example * weights.to(per_example.device(), per_example.scalar_type())).mean();
}

}  // namespace wb::engine
