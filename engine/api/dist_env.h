// torchrun's (and srun's, through the same variables) description of this process as a rank.
#pragma once

#include "engine/api/engine.h"

namespace wb::api {

/// RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, LOCAL_RANK, LOCAL_WORLD_SIZE,
/// TORCHELASTIC_RESTART_COUNT, TORCHELASTIC_USE_AGENT_STORE and TORCHELASTIC_RUN_ID; world 0 when
/// RANK and WORLD_SIZE are not both set. Throws std::runtime_error for a value that is not a number
/// in range, naming the variable.
DistJoin join_from_environment();

}  // namespace wb::api
