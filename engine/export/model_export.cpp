// Model export: the model's networks from the registry, the newest usable checkpoint through the
// checkpoint module (falling back to older files as resume does), each extension's say, write.
#include "engine/export/model_export.h"

#include <filesystem>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/checkpoint.h"
#include "engine/export/model_files.h"
#include "engine/rng_state.h"
#include "engine/run/extension.h"
#include "engine/run/run_checkpoint.h"
#include "engine/train/model_registry.h"

namespace wb::engine {

ExportedModel export_model(const api::RunConfig& config, const std::string& checkpoint_dir,
                           const std::string& path, bool sparse) {
    const auto& family = model_family(config.model.kind);
    auto extensions = make_extensions(config);
    std::map<std::string, models::Network> networks;
    ExportedModel out;
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
    const auto& model = *networks.at(family.deployed()).module;
    nlohmann::json shapes = nlohmann::json::object();
    for (const auto& p : model.named_parameters()) {
        shapes[p.key()] = p.value().sizes().vec();
        out.parameters += sparse ? (p.value() != 0).sum().item<int64_t>() : p.value().numel();
    }
    for (const auto& b : model.named_buffers()) shapes[b.key()] = b.value().sizes().vec();
    if (sparse) {
        auto archive = sparse_archive(model);
        write_archive(archive, path);
    } else {
        torch::serialize::OutputArchive archive;
        model.save(archive);
        write_archive(archive, path);
    }
    out.bytes = static_cast<int64_t>(std::filesystem::file_size(path));
    out.shapes_path = path + ".json";
    write_file_atomic(out.shapes_path, nlohmann::json{{"config", config.to_json()},
                                                      {"step", out.step},
                                                      {"format", sparse ? "sparse" : "dense"},
                                                      {"parameters", out.parameters},
                                                      {"tensors", shapes}}
                                               .dump(2) +
                                           "\n");
    return out;
}

}  // namespace wb::engine
