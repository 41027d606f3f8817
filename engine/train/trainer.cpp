// Trainer helpers shared by every model family, and the factory that picks one.
#include "engine/train/trainer.h"

#include <stdexcept>

#include "engine/train/gan_trainer.h"
#include "engine/train/lm_trainer.h"
#include "engine/train/vae_trainer.h"

namespace wb::engine {

std::unique_ptr<Trainer> make_trainer(const api::RunConfig& config, torch::Device device,
                                      at::Generator gen) {
    const auto& kind = config.model.kind;
    if (kind == "gan_mlp" || kind == "dcgan" || kind == "progan")
        return std::make_unique<GanTrainer>(config, device, std::move(gen));
    if (kind == "vae") return std::make_unique<VaeTrainer>(config, device, std::move(gen));
    if (kind == "gpt") return std::make_unique<LmTrainer>(config, device, std::move(gen));
    throw std::invalid_argument("model.kind: unknown model '" + kind + "'");
}

int64_t parameter_count(const torch::nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters()) n += p.numel();
    return n;
}

void save_part(torch::serialize::OutputArchive& archive, const std::string& key,
               const torch::nn::Module& m) {
    torch::serialize::OutputArchive part;
    m.save(part);
    archive.write(key, part);
}

void save_part(torch::serialize::OutputArchive& archive, const std::string& key,
               const torch::optim::Optimizer& o) {
    torch::serialize::OutputArchive part;
    o.save(part);
    archive.write(key, part);
}

void load_part(torch::serialize::InputArchive& archive, const std::string& key,
               torch::nn::Module& m) {
    torch::serialize::InputArchive part;
    archive.read(key, part);
    m.load(part);
}

void load_part(torch::serialize::InputArchive& archive, const std::string& key,
               torch::optim::Optimizer& o) {
    torch::serialize::InputArchive part;
    archive.read(key, part);
    o.load(part);
}

}  // namespace wb::engine
