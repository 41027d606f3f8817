// Loading a run's deployed network: the registry builds the networks, the checkpoint module
// finds the newest usable file (falling back to older ones as resume does), extensions shape it.
#include "engine/export/deployed_model.h"

#include <stdexcept>

#include "engine/rng_state.h"
#include "engine/run/extension.h"
#include "engine/run/run_checkpoint.h"
#include "engine/train/model_registry.h"

namespace wb::engine {

LoadedModel load_deployed(
    const api::RunConfig& config, const std::string& checkpoint_dir,
    const std::function<void(torch::serialize::InputArchive& trainer_state)>& also) {
    const auto& family = model_family(config.model.kind);
    auto extensions = make_extensions(config);
    LoadedModel out;
    out.deployed = family.deployed();
    auto& networks = out.networks;
    const std::string used = checkpoint::use_newest(
        checkpoint_dir, torch::kCPU,
        [&](checkpoint::Reader& r) {
            auto& state = r.trainer_state();
            const auto dims = family.dims_of ? family.dims_of(state) : models::DataDims{};
            networks.clear();
            {
                // Their initialisation is overwritten at once; it must not move another
                // user's stream of the global generator.
                GlobalGeneratorGuard keep_global_stream;
                for (const auto& name : family.networks)
                    networks.emplace(name, family.build(config, name, dims));
            }
            for (auto& [name, net] : networks) load_part(state, name, *net.module);
            if (also) also(state);
            ExportHost host{config, networks, networks.at(family.deployed())};
            auto module = [&networks](const std::string& name) -> torch::nn::Module* {
                auto it = networks.find(name);
                return it == networks.end() ? nullptr : it->second.module.get();
            };
            for (const auto& e : extensions) e->on_export(host, r.extension(e->key(), module));
            out.step = r.meta().step;
        },
        [&](const std::string& path, const std::string& why) {
            out.skipped.push_back(path + ": " + why);
        });
    if (used.empty())
        throw std::runtime_error("no checkpoint in " + checkpoint_dir +
                                 ": the run saved none yet; resume it or set "
                                 "checkpoint.every_steps");
    return out;
}

}  // namespace wb::engine
