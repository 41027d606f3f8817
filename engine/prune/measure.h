// What pruning bought, measured on copies of the deployable model: inference time of a fixed
// batch (compacted vs. the same weights in the original shape), non-zero parameters and the
// size on disk dense, compacted and stored sparse.
#pragma once

#include <functional>
#include <string>

#include "engine/prune/layout.h"
#include "engine/prune/pruner.h"

namespace wb::prune {

struct Measurement {
    double infer_ms = 0;        ///< the model as exported (channel: compacted)
    double infer_ms_dense = 0;  ///< the same weights in the original, unpruned shape
    int64_t params = 0;         ///< non-zero parameters of the exported model
    int64_t size_dense_bytes = 0;
    int64_t size_compact_bytes = 0;
    int64_t size_sparse_bytes = 0;  ///< compacted, every tensor as bitmap + non-zeros if smaller
};

/// `make` returns a fresh copy of the live deployable model; `pruner` may be null (no pruning).
/// Timings are medians of `repeats` alternating runs of both shapes, after one warm-up each.
Measurement measure(const std::function<Deployable()>& make, const Pruner* pruner, int repeats = 7);

}  // namespace wb::prune
