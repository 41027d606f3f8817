// An up-front estimate of the memory a training run needs, from its config alone, so that a run far
// beyond the machine is refused before it starts instead of growing until the kernel kills it.
// Deliberately simple: the weights with their gradients and optimizer moments, plus the
// activations one step keeps for backward, per model family. It errs high rather than low.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/api/run_config.h"

namespace wb::api {

struct MemoryEstimate {
    int64_t parameters = 0;        ///< every trained network together
    int64_t state_bytes = 0;       ///< weights, gradients and optimizer state
    int64_t activation_bytes = 0;  ///< saved for backward in one step (the largest batch)
    int64_t data_bytes = 0;        ///< the dataset held in memory
    int64_t total_bytes() const;
};

/// The estimate for `config` (its largest shape when the model grows, its largest batch), over
/// all dist.world_size ranks of a data-parallel run as if they shared this machine.
MemoryEstimate estimate_memory(const RunConfig& config);

/// Memory this process may use: the smallest of physical memory, the cgroup's memory.max and
/// RLIMIT_AS; 0 when none can be read.
int64_t usable_memory_bytes();

/// A refusal (on train.batch_size) when a CPU run's estimate exceeds `usable_bytes`; the message
/// gives the estimate's parts and what to lower. Empty when it fits, for GPU runs (their memory is
/// the device's, checked by the allocator) and when `usable_bytes` is 0.
std::vector<ConfigError> memory_problems(const RunConfig& config, int64_t usable_bytes);

}  // namespace wb::api
