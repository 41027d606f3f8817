// Writes a run's trained model from its newest checkpoint: the file a user deploys. Each run
// extension may change what ships (pruning removes the pruned units: the proof that channel
// pruning really shrinks the model).
#pragma once

#include <string>
#include <vector>

#include "engine/api/run_config.h"

namespace wb::engine {

struct ExportedModel {
    int64_t step = 0;         ///< the checkpoint's step
    int64_t parameters = 0;   ///< parameters in the written model (non-zero ones when sparse)
    int64_t bytes = 0;        ///< size of the model file
    std::string shapes_path;  ///< the JSON next to it: config, step and every tensor's shape
    /// Newer checkpoints that could not be read, "path: why" each (the export fell back past them).
    std::vector<std::string> skipped;
};

/// Builds the model's networks from the registry (no trainer, no data), loads the newest usable
/// checkpoint in `checkpoint_dir` (trained with `config`), lets each extension shape the
/// deployed network (channel pruning compacts it) and writes it to `path` as a LibTorch
/// archive, or in the sparse format (bitmap + non-zeros per tensor, see model_files.h) when
/// `sparse`. Throws std::runtime_error (no or unreadable checkpoint, unwritable path).
ExportedModel export_model(const api::RunConfig& config, const std::string& checkpoint_dir,
                           const std::string& path, bool sparse);

}  // namespace wb::engine
