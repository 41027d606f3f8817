// Distributed-training rules (data parallel, the GPT's pipeline) every front end applies before a
// run starts (engine/dist, issue 15).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/api/run_config.h"

namespace wb::api {

/// The problems of `c` for its dist.mode over `world` ranks (none for dist.mode=off or one rank).
std::vector<ConfigError> dist_problems(const RunConfig& c, int64_t world);

}  // namespace wb::api
