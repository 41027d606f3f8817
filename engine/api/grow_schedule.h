// The growth schedule of grow.* (engine/grow): which shape the language model has after each
// growth, read and checked once here for validate(), the trainer, export and the form.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/api/run_config.h"

namespace wb::api {

/// The GPT's shape: blocks, width and heads (the head size stays model.width / model.heads, so
/// widening by k makes k times the heads).
struct GptShape {
    int64_t layers = 0;
    int64_t width = 0;
    int64_t heads = 0;
    bool operator==(const GptShape& o) const {
        return layers == o.layers && width == o.width && heads == o.heads;
    }
    bool operator!=(const GptShape& o) const { return !(*this == o); }
};

struct GrowStage {
    int64_t step = 0;  ///< grows right after this many steps
    GptShape shape;    ///< the whole shape after the growth
};

/// model.layers, model.width and model.heads: the shape before any growth.
GptShape initial_shape(const ModelConfig& m);

/// The stages of grow.*, in step order; empty when grow.at_steps is empty. Appends every problem
/// (unreadable lists, lists of different lengths, steps out of order or past train.steps, a
/// shrinking depth, a width that is not a multiple of the one before) to `errors` when non-null,
/// and returns the stages up to the first problem.
std::vector<GrowStage> grow_stages(const RunConfig& c, std::vector<ConfigError>* errors = nullptr);

/// The shape after every growth up to and including step `step` (completed steps).
GptShape shape_at(const RunConfig& c, int64_t step);

/// grow_stages' problems, plus the combinations growth cannot take (another model than the GPT,
/// pruning that starts before the last growth).
void validate_grow(const RunConfig& c, std::vector<ConfigError>* errors);

}  // namespace wb::api
