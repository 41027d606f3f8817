// A run's checkpoint folder on disk: proving it can be written before a run starts, and removing
// it with the run. std::filesystem only, so the CLI and the app behave the same.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wb::service {

/// Creates `dir` (and its parents) and writes and removes a probe file in it. Empty when the
/// folder is usable, else the cause ("Permission denied", "a file is in the way: PATH").
std::string prepare_checkpoint_dir(const std::string& dir);

/// After a kill, a checkpoint file can be newer than the stored history (its metrics were still
/// in flight): resuming from it would leave a hole in the metrics. When a checkpoint at or below
/// `history_step` exists, removes the newer ones so the run resumes from it and trains the
/// missing steps again; otherwise leaves every file. Returns the removed files.
std::vector<std::string> drop_checkpoints_ahead_of(const std::string& dir, int64_t history_step);

/// Removes `dir` and everything in it; empty on success or when it did not exist, else the
/// cause.
std::string remove_run_files(const std::string& dir);

}  // namespace wb::service
