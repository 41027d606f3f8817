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

/// Bytes held by live allocations now: the CUDA allocator's on a GPU, malloc's (glibc mallinfo2:
/// in use from the arenas plus mmap'd chunks, where LibTorch's CPU tensors live) on the CPU.
/// Exact at the moment of the call, unlike the page-granular resident set; what the activation
/// memory figures (memory/activation_bytes) are differences of.
int64_t heap_bytes_in_use(const torch::Device& device);

}  // namespace wb::engine
