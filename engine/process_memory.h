// Memory figures for the memory/* metrics: the CUDA caching allocator's on a GPU, the process's
// resident set (current and peak, from /proc, refreshed at most every 20 ms) on the CPU.
#pragma once

#include <cstdint>

#include <torch/torch.h>

namespace wb::engine {

struct MemoryUse {
    int64_t allocated_bytes = 0;
    int64_t peak_bytes = 0;
};

MemoryUse memory_use(const torch::Device& device);

}  // namespace wb::engine
