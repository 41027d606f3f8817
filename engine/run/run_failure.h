// How a run's failures become a status the user can act on: the failure kinds the loop raises,
// and the one place that maps every exception (data, memory, checkpoint, ...) to a message.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "engine/api/run_event.h"

namespace wb::engine {

struct RunFailure : std::runtime_error {
    RunFailure(api::FailureKind k, const std::string& m) : std::runtime_error(m), kind(k) {}
    api::FailureKind kind;
};

/// A loss or metric became `value` (inf/NaN) at `step`: what to lower and where to resume from.
RunFailure diverged(const std::string& metric, double value, int64_t step, double lr,
                    int64_t last_checkpoint);

/// Runs `body`; any exception it throws is reported to `fail(kind, message)` instead, with the
/// cause named and the fix suggested. `step()` tells where the run was.
void report_failures(const std::function<void()>& body,
                     const std::function<void(api::FailureKind, const std::string&)>& fail,
                     const torch::Device& device, const std::function<int64_t()>& step);

}  // namespace wb::engine
