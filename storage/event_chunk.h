// EventChunk: one Recorder::record() call's events, queued for the writer thread.
// Shared by the Recorder (which queues them) and the BatchWriter (which stores them).
#pragma once

#include <vector>

#include "engine/api/run_event.h"

namespace wb::storage {

/// Stamped with the time the events arrived, which is when status changes and checkpoints are
/// said to have happened: events carry only run time.
struct EventChunk {
    double received_at_s = 0;
    std::vector<api::RunEvent> events;
};

}  // namespace wb::storage
