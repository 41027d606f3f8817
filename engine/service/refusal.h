// Refusal: why the run service did not do what it was asked, as a complete message for users
// (cause and fix) plus the kind of cause, which decides the CLI's exit code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/api/run_config.h"

namespace wb::service {

struct Refusal {
    enum class Cause : uint8_t {
        Unset = 0,
        Config,      ///< the settings are not valid (every problem is in `problems`)
        Storage,     ///< the database could not be read or written, or a row is damaged
        Checkpoint,  ///< the run's checkpoint folder cannot be created or written
        Engine,      ///< the training engine failed while starting the run
        State,       ///< the run does not exist, or cannot continue as it is
        Busy,        ///< another process trains the run, or just claimed it
    };
    Cause cause = Cause::Unset;
    std::string message;
    std::vector<api::ConfigError> problems;
};

}  // namespace wb::service
