// Writes a run's trained model, pruned units removed, from its newest checkpoint: the file a
// user deploys, and the proof that channel pruning really shrinks the model.
#pragma once

#include <string>
#include <vector>

#include "engine/api/run_config.h"

namespace wb::prune {

struct ExportedModel {
    int64_t step = 0;         ///< the checkpoint's step
    int64_t parameters = 0;   ///< parameters in the written model (non-zero ones when sparse)
    int64_t bytes = 0;        ///< size of the model file
    std::string shapes_path;  ///< the JSON next to it: config, step and every tensor's shape
    /// Newer checkpoints that could not be read, "path: why" each (the export fell back past them).
    std::vector<std::string> skipped;
};

/// Loads the newest checkpoint in `checkpoint_dir` (trained with `config`), compacts the
/// deployable model (channel pruning) and writes it to `path` as a LibTorch archive, or in the
/// sparse format (bitmap + non-zeros per tensor, see measure.h) when `sparse`. Throws
/// std::runtime_error (no or unreadable checkpoint, unwritable path) or data::DataError.
ExportedModel export_model(const api::RunConfig& config, const std::string& checkpoint_dir,
                           const std::string& path, bool sparse);

}  // namespace wb::prune
