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

/// What drop_checkpoints_ahead_of() did. `gap_from`..`gap_to` (both 0 when none): the steps
/// that will have no stored metrics, because every checkpoint was ahead of the history.
struct DroppedAhead {
    std::vector<std::string> removed;
    int64_t gap_from = 0;
    int64_t gap_to = 0;
};

/// After a kill, a checkpoint file can be newer than the stored history (its metrics were still
/// in flight): resuming from it would leave a hole in the metrics. When a checkpoint at or below
/// `history_step` exists, removes the newer ones so the run resumes from it and trains the
/// missing steps again. When every one is ahead (the database could not be written for a long
/// time), keeps only the oldest, which leaves the smallest gap, and reports that gap.
DroppedAhead drop_checkpoints_ahead_of(const std::string& dir, int64_t history_step);

/// Removes every checkpoint file in `dir` (a restart from step 0 replaces them).
void remove_checkpoint_files(const std::string& dir);

/// Removes `dir` and everything in it; empty on success or when it did not exist, else the
/// cause.
std::string remove_run_files(const std::string& dir);

}  // namespace wb::service
