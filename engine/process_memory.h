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

/// Makes glibc's malloc keep freed tensor memory for reuse instead of handing it back to the
/// kernel after every step (once per process; does nothing on other C libraries). By default
/// blocks over 128 KiB to a few MiB (a batch of activations) are mmap'ed and unmapped again, and
/// the heap top above 128 KiB to a few MiB is trimmed, so every step page-faults its activations
/// back in (gan-mixture2d: 32 page faults per step, 5% of its CPU time). With this, blocks up to
/// 32 MiB come from the heap and up to 256 MiB of freed memory stay there for reuse (visible in
/// memory/allocated_bytes): no page faults in the steady state.
void keep_freed_memory_for_reuse();

}  // namespace wb::engine
