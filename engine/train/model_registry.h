// The model registry: every model family the engine trains, registered in one place
// (model_registry.cpp) with its networks, the one a user deploys, how each network is built
// (the trainer, pruning's deployable copy and export all build through it) and its trainer.
// The contract's side of a family (its data, its config fields) is api::ModelKind and the
// schema's applies_to.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/api/model_kinds.h"
#include "engine/api/run_config.h"
#include "engine/models/network.h"
#include "engine/train/trainer.h"

namespace wb::engine {

struct ModelFamily {
    const api::ModelKind* kind;  ///< name, data, family and deployed network
    /// The networks it trains, in build order; each is stored under its name in the trainer's
    /// checkpoint state.
    std::vector<std::string> networks;
    /// A freshly initialised network (draws from LibTorch's global generator).
    std::function<models::Network(const api::RunConfig&, const std::string& network,
                                  const models::DataDims&)>
        build;
    /// The data-decided sizes of a trained model, read from its networks' stored state
    /// (the trainer's checkpoint part); empty for models whose sizes the config fixes.
    std::function<models::DataDims(torch::serialize::InputArchive& trainer_state)> dims_of;
    /// The trainer, loading its data (throws data::DataError). `gen` is the run's generator.
    std::function<std::unique_ptr<Trainer>(const api::RunConfig&, torch::Device, at::Generator)>
        trainer;

    const std::string& deployed() const { return kind->deployed; }
};

/// Every family, in api::model_kinds() order.
const std::vector<ModelFamily>& model_families();
/// Throws std::invalid_argument naming the known kinds.
const ModelFamily& model_family(const std::string& kind);

/// Builds the trainer for `config.model.kind`, loading its data (throws data::DataError).
std::unique_ptr<Trainer> make_trainer(const api::RunConfig& config, torch::Device device,
                                      at::Generator gen);

}  // namespace wb::engine
