// A run's checkpoint folder on disk: proving it can be written before a run starts, and removing
// it with the run. std::filesystem only, so the CLI and the app behave the same.
#pragma once

#include <string>

namespace wb::service {

/// Creates `dir` (and its parents) and writes and removes a probe file in it. Empty when the
/// folder is usable, else the cause ("Permission denied", "a file is in the way: PATH").
std::string prepare_checkpoint_dir(const std::string& dir);

/// Removes `dir` and everything in it; empty on success or when it did not exist, else the
/// cause.
std::string remove_run_files(const std::string& dir);

}  // namespace wb::service
