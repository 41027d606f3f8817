// BatchWriter: writes batches of RunEvents into the database, one transaction per batch.
// The Recorder's thread owns it; it is the ingest hot path, so statements and ids are reused.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/connection.h"
#include "storage/event_chunk.h"

namespace wb::storage {

class BatchWriter {
public:
    /// Opens its own connection; throws StorageError.
    explicit BatchWriter(const std::string& db_path);

    /// All chunks in one transaction: either every event is stored or none (StorageError).
    /// Then packs the series of runs the batch finished (see metric_series.h).
    void write(const std::vector<EventChunk>& batch);

private:
    struct Progress {
        int64_t steps_done = 0;
        double wall_s = 0;
        bool packed_dropped = false;  ///< this batch deleted the run's packed series
    };

    /// Returns the runs whose final status the batch holds.
    std::vector<int64_t> write_events(const std::vector<EventChunk>& batch);
    int64_t metric_name_id(const std::string& name);

    Connection m_db;
    std::unordered_map<std::string, int64_t> m_name_ids;
};

}  // namespace wb::storage
