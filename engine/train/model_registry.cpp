// The one place that lists the model families.
#include "engine/train/model_registry.h"

#include <stdexcept>

#include "engine/malloc_tuning.h"
#include "engine/train/gan_trainer.h"
#include "engine/train/lm_trainer.h"
#include "engine/train/vae_trainer.h"

namespace wb::engine {
namespace {

const api::ModelKind* kind_named(const std::string& name) {
    const auto* kind = api::find_model_kind(name);
    if (!kind) throw std::logic_error("model registry: '" + name + "' is not in api::model_kinds");
    return kind;
}

// A GAN family whose networks `build` makes at a fixed shape (the MLP GAN, DCGAN).
ModelFamily gan_family(const std::string& name, GanNetworkBuilder build) {
    ModelFamily f;
    f.kind = kind_named(name);
    f.networks = {"g", "d"};
    f.build = [build](const api::RunConfig& c, const std::string& net, const models::DataDims&) {
        return build(c, net);
    };
    f.trainer = [build](const api::RunConfig& c, torch::Device device, at::Generator gen) {
        return std::make_unique<GanTrainer>(c, device, std::move(gen), make_fixed_gan(c, build));
    };
    return f;
}

ModelFamily progan_family() {
    ModelFamily f;
    f.kind = kind_named("progan");
    f.networks = {"g", "d"};
    f.build = [](const api::RunConfig& c, const std::string& net, const models::DataDims&) {
        if (net == "g") return models::progan_network(models::make_progan_generator(c));
        if (net == "d") return models::progan_network(models::make_progan_discriminator(c));
        throw std::invalid_argument("progan has networks g and d, not '" + net + "'");
    };
    f.trainer = [](const api::RunConfig& c, torch::Device device, at::Generator gen) {
        return std::make_unique<GanTrainer>(c, device, std::move(gen), make_progan(c));
    };
    return f;
}

ModelFamily vae_family() {
    ModelFamily f;
    f.kind = kind_named("vae");
    f.networks = {"vae"};
    f.build = [](const api::RunConfig& c, const std::string&, const models::DataDims&) {
        return models::vae_network(models::make_vae(c));
    };
    f.trainer = [](const api::RunConfig& c, torch::Device device, at::Generator gen) {
        return std::make_unique<VaeTrainer>(c, device, std::move(gen));
    };
    return f;
}

ModelFamily gpt_family() {
    ModelFamily f;
    f.kind = kind_named("gpt");
    f.networks = {"gpt"};
    f.build = [](const api::RunConfig& c, const std::string&, const models::DataDims& dims) {
        return models::gpt_network(models::make_gpt(c, dims));
    };
    // The vocabulary is the corpus's and the size the one it grew to: read back from the weights.
    f.dims_of = models::gpt_dims;
    f.trainer = [](const api::RunConfig& c, torch::Device device, at::Generator gen) {
        return std::make_unique<LmTrainer>(c, device, std::move(gen));
    };
    return f;
}

}  // namespace

const std::vector<ModelFamily>& model_families() {
    static const std::vector<ModelFamily> families = {
        gan_family("gan_mlp", models::mlp_gan_network),
        gan_family("dcgan", models::dcgan_network),
        progan_family(),
        vae_family(),
        gpt_family(),
    };
    return families;
}

const ModelFamily& model_family(const std::string& kind) {
    for (const auto& f : model_families())
        if (f.kind->name == kind) return f;
    std::string known;
    for (const auto& f : model_families()) known += (known.empty() ? "" : ", ") + f.kind->name;
    throw std::invalid_argument("model.kind: unknown model '" + kind + "'; use one of " + known);
}

std::unique_ptr<Trainer> make_trainer(const api::RunConfig& config, torch::Device device,
                                      at::Generator gen) {
    keep_freed_memory_for_reuse();
    return model_family(config.model.kind).trainer(config, device, std::move(gen));
}

}  // namespace wb::engine
