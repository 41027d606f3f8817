// A run's trained networks loaded from its newest usable checkpoint, shaped for deployment by
// each extension: what export writes and quantization converts.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/api/run_config.h"
#include "engine/models/network.h"

namespace wb::engine {

struct LoadedModel {
    std::map<std::string, models::Network> networks;  ///< by registry name
    std::string deployed;                             ///< the name of the one a user deploys
    int64_t step = 0;                                 ///< the checkpoint's step
    /// Newer checkpoints that could not be read, "path: why" each (it fell back past them).
    std::vector<std::string> skipped;
    models::Network& network() { return networks.at(deployed); }
};

/// Builds the model's networks from the registry (no trainer, no data), loads the newest usable
/// checkpoint in `checkpoint_dir` (trained with `config`) on the CPU and lets each extension
/// shape the deployed network (channel pruning compacts it). `also` reads whatever else the
/// caller needs from the same checkpoint's trainer state (a throw there skips to an older file).
/// Throws std::runtime_error (no or unreadable checkpoint).
LoadedModel load_deployed(
    const api::RunConfig& config, const std::string& checkpoint_dir,
    const std::function<void(torch::serialize::InputArchive& trainer_state)>& also = {});

}  // namespace wb::engine
