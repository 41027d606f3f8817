// Checkpoint files of one run: written whole to a temporary file, synced, then renamed, so a
// crash leaves either the old or the new file and never a torn one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/atomic_file.h"

namespace wb::engine {

/// Serialises `fill`'s archive to `dir`/ckpt-<step>.pt atomically and deletes all but the
/// newest `keep` checkpoints, plus, when none of those is kSettledAge old yet, the newest one
/// that is (or, while none is, the oldest): the run's rows reach the database a moment after
/// its checkpoints, so after a kill a resume needs a checkpoint that the stored history already
/// covers (fast steps can write `keep` checkpoints within that moment). Returns the path. Throws std::runtime_error naming
/// the path.
inline constexpr std::chrono::seconds kSettledAge{10};

std::string write_checkpoint(const std::string& dir, int64_t step,
                             const std::function<void(torch::serialize::OutputArchive&)>& fill,
                             int keep = 2);

/// Deletes every checkpoint file (and torn temporary) in `dir`, other files untouched; returns how
/// many. Throws std::runtime_error naming the file that could not be removed.
int remove_checkpoints(const std::string& dir);

/// Checkpoint files in `dir`, newest (highest step) first.
std::vector<std::string> list_checkpoints(const std::string& dir);

}  // namespace wb::engine
