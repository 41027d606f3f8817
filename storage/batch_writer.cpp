// BatchWriter: maps each RunEvent kind onto its table and folds run progress into one UPDATE.
#include "storage/batch_writer.h"

#include <algorithm>

#include "storage/metric_series.h"
#include "storage/run_status.h"
#include "storage/storage_error.h"

namespace wb::storage {

namespace {

// OR REPLACE: a run resumed from its last checkpoint repeats steps it had already logged;
// the new timeline's values win.
constexpr const char* kInsertMetric =
    "INSERT OR REPLACE INTO metrics (run_id, name_id, step, wall_s, value) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kInsertSample =
    "INSERT INTO samples (run_id, step, wall_s, kind, data) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kInsertLog =
    "INSERT INTO logs (run_id, step, wall_s, level, text) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kInsertCheckpoint =
    "INSERT OR REPLACE INTO checkpoints (run_id, step, path, created_at) VALUES (?1, ?2, ?3, ?4)";
// The run's environment is a JSON object; a value learnt while training joins it under its key.
constexpr const char* kSetAttribute =
    "UPDATE runs SET env_json = json_set(CASE WHEN json_valid(env_json) AND "
    "json_type(env_json) = 'object' THEN env_json ELSE '{}' END, '$.' || json_quote(?2), "
    "json(?3)) WHERE id = ?1";
constexpr const char* kUpdateProgress =
    "UPDATE runs SET steps_done = MAX(steps_done, ?2), wall_s = MAX(wall_s, ?3) WHERE id = ?1";

}  // namespace

BatchWriter::BatchWriter(const std::string& db_path) : m_db(db_path) {}

void BatchWriter::write(const std::vector<EventChunk>& batch) {
    std::vector<int64_t> finished;
    try {
        finished = write_events(batch);
    } catch (...) {
        // Ids first inserted by the rolled-back transaction no longer exist in the file.
        m_name_ids.clear();
        throw;
    }
    for (int64_t run_id : finished) {
        try {
            pack_run_series(m_db, run_id);
        } catch (const StorageError&) {
            // The batch is committed; the first read of the run packs what is missing.
        }
    }
}

std::vector<int64_t> BatchWriter::write_events(const std::vector<EventChunk>& batch) {
    Transaction tx(m_db);
    auto metric = m_db.query(kInsertMetric);
    auto sample = m_db.query(kInsertSample);
    auto log = m_db.query(kInsertLog);
    auto checkpoint = m_db.query(kInsertCheckpoint);
    auto attribute = m_db.query(kSetAttribute);
    // Progress is a running maximum, so folding it per run and writing it once per batch gives
    // the same result as one UPDATE per event, at a fraction of the cost.
    std::unordered_map<int64_t, Progress> progress;
    int64_t last_run = -1;
    Progress* run_progress = nullptr;
    std::vector<int64_t> finished;

    for (const EventChunk& chunk : batch) {
        for (const api::RunEvent& e : chunk.events) {
            if (e.run_id != last_run || run_progress == nullptr) {
                run_progress = &progress[e.run_id];
                last_run = e.run_id;
            }
            switch (e.kind) {
                case api::EventKind::Metric:
                    // New rows make the run's packed series stale (see metric_series.h).
                    if (!run_progress->packed_dropped) {
                        drop_packed_series(m_db, e.run_id);
                        run_progress->packed_dropped = true;
                    }
                    metric.bind_int(1, e.run_id)
                        .bind_int(2, metric_name_id(e.name))
                        .bind_int(3, e.step)
                        .bind_real(4, e.wall_s)
                        .bind_real(5, e.value);
                    metric.run();
                    break;
                case api::EventKind::Sample:
                    sample.bind_int(1, e.run_id)
                        .bind_int(2, e.step)
                        .bind_real(3, e.wall_s)
                        .bind_text(4, e.name)
                        .bind_blob(5, e.payload);
                    sample.run();
                    break;
                case api::EventKind::Log:
                    log.bind_int(1, e.run_id)
                        .bind_int(2, e.step)
                        .bind_real(3, e.wall_s)
                        .bind_text(4, e.name)
                        .bind_text(5, e.payload);
                    log.run();
                    break;
                case api::EventKind::Checkpoint:
                    checkpoint.bind_int(1, e.run_id)
                        .bind_int(2, e.step)
                        .bind_text(3, e.payload)
                        .bind_real(4, chunk.received_at_s);
                    checkpoint.run();
                    break;
                case api::EventKind::Attribute:
                    attribute.bind_int(1, e.run_id).bind_text(2, e.name).bind_text(3, e.payload);
                    attribute.run();
                    break;
                case api::EventKind::Status: {
                    if (e.status == api::RunStatus::Unset) continue;
                    StatusChange change;
                    change.run_id = e.run_id;
                    change.status = e.status;
                    change.message = e.payload;
                    change.failure = e.failure;
                    change.at_s = chunk.received_at_s;
                    apply_status(m_db, change);
                    if (api::is_final(e.status)) finished.push_back(e.run_id);
                    break;
                }
                case api::EventKind::Unset:
                    continue;
            }
            run_progress->steps_done = std::max(run_progress->steps_done, e.step);
            run_progress->wall_s = std::max(run_progress->wall_s, e.wall_s);
        }
    }

    auto update = m_db.query(kUpdateProgress);
    for (const auto& [run_id, p] : progress) {
        update.bind_int(1, run_id).bind_int(2, p.steps_done).bind_real(3, p.wall_s);
        update.run();
    }
    tx.commit();
    return finished;
}

int64_t BatchWriter::metric_name_id(const std::string& name) {
    if (auto it = m_name_ids.find(name); it != m_name_ids.end()) return it->second;
    {
        auto insert = m_db.query("INSERT OR IGNORE INTO metric_names (name) VALUES (?1)");
        insert.bind_text(1, name);
        insert.run();
    }
    auto select = m_db.query("SELECT id FROM metric_names WHERE name = ?1");
    select.bind_text(1, name);
    if (!select.next())
        throw StorageError(m_db.path() + ": metric name \"" + name +
                           "\" vanished while recording.");
    const int64_t id = select.int_at(0);
    m_name_ids.emplace(name, id);
    return id;
}

}  // namespace wb::storage
