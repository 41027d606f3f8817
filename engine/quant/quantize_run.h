// Post-training INT8 quantization of a run's trained GPT, with the figures that show what it
// bought and cost: file sizes, inference and generation time (fp32 and int8 timed alternately on
// the same input in this process) and validation loss on the same windows.
#pragma once

#include <string>
#include <vector>

#include "engine/api/run_config.h"

namespace wb::engine::quant {

struct QuantizeOptions {
    std::string out_path;            ///< where the int8 model goes; empty: measure only
    int threads = 1;                 ///< CPU threads for both models
    int repeats = 9;                 ///< timed forward passes per model (the median is reported)
    int64_t generate_tokens = 32;    ///< tokens generated per timed generation
    int64_t min_eval_windows = 256;  ///< quality on at least this many validation windows
};

struct QuantizeReport {
    int64_t step = 0;                  ///< the checkpoint's step
    std::vector<std::string> skipped;  ///< newer checkpoints that could not be read
    std::string backend;               ///< the int8 engine (int8_linear.h)
    int64_t activation_levels = 0;     ///< 256 or 128 (see int8_linear.h)
    int64_t fp32_size_bytes = 0;       ///< the fp32 model as `export --model` writes it
    int64_t int8_size_bytes = 0;       ///< the int8 model file
    int64_t batch = 0, context = 0;    ///< the timed input: batch windows of context tokens
    double fp32_infer_ms = 0, int8_infer_ms = 0;  ///< median forward pass of that input
    /// Median time to generate generate_tokens tokens greedily for `batch` sequences (the
    /// whole window is recomputed per token, as the trainer's sampler does).
    double fp32_generate_ms = 0, int8_generate_ms = 0;
    int64_t generate_tokens = 0;
    double fp32_quality = 0, int8_quality = 0;  ///< loss/val on the same windows
    int64_t eval_windows = 0;
    /// Greedy next-token agreement of the two models on the timed input.
    double top1_agreement = 0;
    int threads = 0;
};

/// Loads the run's GPT from its newest usable checkpoint in `checkpoint_dir` (trained with
/// `config`), quantizes it, measures both and writes the int8 model when options.out_path is
/// set. Throws std::invalid_argument for a run of another model family, data::DataError when
/// the run's text is missing or changed, std::runtime_error otherwise (no checkpoint, an
/// unwritable path).
QuantizeReport quantize_run(const api::RunConfig& config, const std::string& checkpoint_dir,
                            const QuantizeOptions& options);

}  // namespace wb::engine::quant
