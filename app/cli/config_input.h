// Builds a RunConfig from the command line: a preset or a JSON file, then --set overrides.
// Every problem is collected so the user sees them all at once.
#pragma once

#include <string>
#include <vector>

#include "engine/api/run_config.h"

namespace wb::cli {

/// Starts from `base`, applies a JSON file (if given) and each "key.path=value".
api::RunConfig apply_overrides(api::RunConfig base, const std::string& config_file,
                               const std::vector<std::string>& sets,
                               std::vector<api::ConfigError>* errors);

/// Prints "error: invalid config" and each problem to stderr.
void print_config_errors(const std::vector<api::ConfigError>& errors);

}  // namespace wb::cli
