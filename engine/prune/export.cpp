// Model export: rebuild the trainer, load the newest usable checkpoint and its masks through the
// checkpoint module (falling back to older files as resume does), compact, write.
#include "engine/prune/export.h"

#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/checkpoint.h"
#include "engine/prune/measure.h"
#include "engine/prune/pruner.h"
#include "engine/run/run_checkpoint.h"
#include "engine/train/trainer.h"

namespace wb::prune {

ExportedModel export_model(const api::RunConfig& config, const std::string& checkpoint_dir,
                           const std::string& path, bool sparse) {
    const torch::Device cpu(torch::kCPU);
    auto trainer = engine::make_trainer(
        config, cpu, at::make_generator<at::CPUGeneratorImpl>(config.train.seed));
    std::unique_ptr<Pruner> pruner;
    if (config.prune.method != "none")
        pruner = std::make_unique<Pruner>(config.prune, trainer->prune_layout());

    ExportedModel out;
    const std::string used = engine::checkpoint::use_newest(
        checkpoint_dir, cpu,
        [&](engine::checkpoint::Reader& r) {
            r.load_trainer(*trainer);
            if (pruner)
                if (auto* masks = r.extension("prune", *trainer)) pruner->load(*masks);
            out.step = r.meta().step;
        },
        [&](const std::string& path, const std::string& why) {
            out.skipped.push_back(path + ": " + why);
        });
    if (used.empty())
        throw std::runtime_error("no checkpoint in " + checkpoint_dir +
                                 ": the run saved none yet; resume it or set "
                                 "checkpoint.every_steps");
    auto model = trainer->deployable();
    if (pruner) pruner->compact(model.layout);
    nlohmann::json shapes = nlohmann::json::object();
    for (const auto& p : model.module->named_parameters()) {
        shapes[p.key()] = p.value().sizes().vec();
        out.parameters += sparse ? (p.value() != 0).sum().item<int64_t>() : p.value().numel();
    }
    for (const auto& b : model.module->named_buffers()) shapes[b.key()] = b.value().sizes().vec();
    if (sparse) {
        auto archive = sparse_archive(*model.module);
        write_archive(archive, path);
    } else {
        torch::serialize::OutputArchive archive;
        model.module->save(archive);
        write_archive(archive, path);
    }
    out.bytes = static_cast<int64_t>(std::filesystem::file_size(path));
    out.shapes_path = path + ".json";
    engine::write_file_atomic(out.shapes_path,
                              nlohmann::json{{"config", config.to_json()},
                                             {"step", out.step},
                                             {"format", sparse ? "sparse" : "dense"},
                                             {"parameters", out.parameters},
                                             {"tensors", shapes}}
                                      .dump(2) +
                                  "\n");
    return out;
}

}  // namespace wb::prune
