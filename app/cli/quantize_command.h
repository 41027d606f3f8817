// `workbench-cli quantize RUN`: INT8 post-training quantization of a run's trained model, with
// fp32 vs int8 size, inference time and quality measured in one process.
#pragma once

#include <cstdint>
#include <string>

namespace wb::cli {

struct QuantizeCliOptions {
    std::string db;
    int64_t id = 0;
    std::string out;      ///< int8 model file; empty: measure only
    int64_t threads = 0;  ///< 0: every core
    int64_t repeats = 9;  ///< timed passes per model
    bool json = false;
};

int quantize_command(const QuantizeCliOptions& options);

}  // namespace wb::cli
