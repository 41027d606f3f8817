// Model export: the deployed network as load_deployed() reads it, written with its shapes.
#include "engine/export/model_export.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "engine/checkpoint.h"
#include "engine/export/deployed_model.h"
#include "engine/export/model_files.h"

namespace wb::engine {

ExportedModel export_model(const api::RunConfig& config, const std::string& checkpoint_dir,
                           const std::string& path, bool sparse) {
    auto loaded = load_deployed(config, checkpoint_dir);
    ExportedModel out;
    out.step = loaded.step;
    out.skipped = loaded.skipped;
    const auto& model = *loaded.network().module;
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
