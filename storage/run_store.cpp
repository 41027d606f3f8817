// RunStore: run rows and the read queries behind the CLI's and the UI's history views.
#include "storage/run_store.h"

#include <algorithm>
#include <limits>

#include "storage/connection.h"
#include "storage/metric_series.h"
#include "storage/owner.h"
#include "storage/run_row_sql.h"
#include "storage/run_status.h"

namespace wb::storage {

RunRow read_run(const Query& q) {
    RunRow r;
    r.id = q.int_at(0);
    r.name = q.text_at(1);
    r.status = api::status_from_string(q.text_at(2));
    r.model = q.text_at(3);
    r.config_json = q.text_at(4);
    r.env_json = q.text_at(5);
    r.notes = q.text_at(6);
    r.error = q.text_at(7);
    r.failure = api::failure_from_string(q.text_at(8));
    r.checkpoint_dir = q.text_at(9);
    r.steps_done = q.int_at(10);
    r.total_steps = q.int_at(11);
    r.created_at = q.real_at(12);
    r.started_at = q.real_at(13);
    r.ended_at = q.real_at(14);
    r.wall_s = q.real_at(15);
    r.waiting = q.int_at(16) != 0;
    return r;
}

namespace {

constexpr const char* kSampleColumns = "SELECT id, run_id, step, wall_s, kind, data FROM samples ";

SampleRow read_sample(const Query& q) {
    SampleRow s;
    s.id = q.int_at(0);
    s.run_id = q.int_at(1);
    s.step = q.int_at(2);
    s.wall_s = q.real_at(3);
    s.kind = q.text_at(4);
    s.data = q.text_at(5);
    return s;
}

// An empty kind matches every kind, so one cached statement serves both calls.
constexpr const char* kKindFilter = "WHERE run_id = ?1 AND (?2 = '' OR kind = ?2) ";

}  // namespace

RunStore::RunStore(const std::string& db_path) : m_db(std::make_unique<Connection>(db_path)) {
    mark_interrupted_runs();
}

RunStore::RunStore(const std::string& db_path, ReadOnly)
    : m_db(std::make_unique<Connection>(db_path, OpenMode::ReadOnly)) {
    if (m_db->current()) return;
    m_db = std::make_unique<Connection>(db_path);
    mark_interrupted_runs();
}

void RunStore::judge_liveness(RunRow& row) const {
    const bool live = row.status == api::RunStatus::Queued ||
                      row.status == api::RunStatus::Running || row.status == api::RunStatus::Paused;
    if (!m_db->read_only() || !live || row.waiting) return;
    auto q = m_db->query("SELECT owner_pid, owner_host, owner_boot FROM runs WHERE id = ?1");
    q.bind_int(1, row.id);
    if (q.next() && owner_is_gone(ProcessOwner{q.int_at(0), q.text_at(1), q.text_at(2)}))
        row.status = api::RunStatus::Interrupted;
}

RunStore::~RunStore() = default;

const std::string& RunStore::path() const {
    return m_db->path();
}

void RunStore::require_changed(int64_t id) const {
    if (m_db->changes() == 0)
        throw StorageError(m_db->path() + ": no run with id " + std::to_string(id) +
                           ". List the runs to see which ids exist.");
}

int64_t RunStore::create_run(const std::string& name, const std::string& model,
                             const std::string& config_json, const std::string& env_json,
                             int64_t total_steps, const std::string& checkpoint_dir) {
    std::lock_guard lock(m_mutex);
    const ProcessOwner owner = current_owner();
    auto q = m_db->query(
        "INSERT INTO runs (name, status, model, config_json, env_json, checkpoint_dir, "
        "total_steps, created_at, owner_pid, owner_host, owner_boot) "
        "VALUES (?1, 'queued', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    q.bind_text(1, name)
        .bind_text(2, model)
        .bind_text(3, config_json)
        .bind_text(4, env_json)
        .bind_text(5, checkpoint_dir)
        .bind_int(6, total_steps)
        .bind_real(7, now_unix_s())
        .bind_int(8, owner.pid)
        .bind_text(9, owner.host)
        .bind_text(10, owner.boot_id);
    q.run();
    return m_db->last_insert_id();
}

void RunStore::update_config(int64_t id, const std::string& config_json, int64_t total_steps) {
    std::lock_guard lock(m_mutex);
    auto q = m_db->query("UPDATE runs SET config_json = ?2, total_steps = ?3 WHERE id = ?1");
    q.bind_int(1, id).bind_text(2, config_json).bind_int(3, total_steps);
    q.run();
    require_changed(id);
}

void RunStore::set_text(int64_t id, const char* sql, const std::string& value) {
    std::lock_guard lock(m_mutex);
    auto q = m_db->query(sql);
    q.bind_int(1, id).bind_text(2, value);
    q.run();
    require_changed(id);
}

void RunStore::set_checkpoint_dir(int64_t id, const std::string& dir) {
    set_text(id, "UPDATE runs SET checkpoint_dir = ?2 WHERE id = ?1", dir);
}

void RunStore::set_status(int64_t id, api::RunStatus status, const std::string& error,
                          api::FailureKind failure) {
    if (status == api::RunStatus::Unset)
        throw StorageError(m_db->path() +
                           ": a run's status cannot be set to \"unset\"; use "
                           "queued, running, paused, completed, stopped, failed or interrupted.");
    std::lock_guard lock(m_mutex);
    StatusChange change;
    change.run_id = id;
    change.status = status;
    change.message = error;
    if (failure != api::FailureKind::Unset) change.failure = failure;
    change.at_s = now_unix_s();
    if (!apply_status(*m_db, change))
        throw StorageError(m_db->path() + ": no run with id " + std::to_string(id) +
                           ". List the runs to see which ids exist.");
    if (!api::is_final(status)) return;
    try {
        pack_run_series(*m_db, id);
    } catch (const StorageError&) {
        // The status is stored; the packed copy only speeds up reads, and the first read of
        // the run packs what is missing.
    }
}

void RunStore::rename(int64_t id, const std::string& name) {
    set_text(id, "UPDATE runs SET name = ?2 WHERE id = ?1", name);
}

void RunStore::set_notes(int64_t id, const std::string& notes) {
    set_text(id, "UPDATE runs SET notes = ?2 WHERE id = ?1", notes);
}

bool RunStore::delete_run(int64_t id) {
    std::lock_guard lock(m_mutex);
    // One transaction: a crash midway must not leave a run without its points or vice versa.
    Transaction tx(*m_db);
    for (const char* sql :
         {"DELETE FROM metrics WHERE run_id = ?1", "DELETE FROM samples WHERE run_id = ?1",
          "DELETE FROM logs WHERE run_id = ?1", "DELETE FROM checkpoints WHERE run_id = ?1",
          "DELETE FROM metric_series WHERE run_id = ?1"}) {
        auto q = m_db->query(sql);
        q.bind_int(1, id);
        q.run();
    }
    auto q = m_db->query("DELETE FROM runs WHERE id = ?1");
    q.bind_int(1, id);
    q.run();
    const bool existed = m_db->changes() > 0;
    tx.commit();
    return existed;
}

std::vector<RunRow> RunStore::list_runs() const {
    std::lock_guard lock(m_mutex);
    auto q = m_db->query(std::string(kRunColumns) + "ORDER BY id DESC");
    std::vector<RunRow> rows;
    while (q.next()) rows.push_back(read_run(q));
    for (RunRow& r : rows) judge_liveness(r);
    return rows;
}

std::optional<RunRow> RunStore::get_run(int64_t id) const {
    std::lock_guard lock(m_mutex);
    auto q = m_db->query(std::string(kRunColumns) + "WHERE id = ?1");
    q.bind_int(1, id);
    if (!q.next()) return std::nullopt;
    RunRow row = read_run(q);
    judge_liveness(row);
    return row;
}

std::vector<std::string> RunStore::metric_names(int64_t id) const {
    std::lock_guard lock(m_mutex);
    // One index probe per known name instead of a DISTINCT scan over every point of the run.
    auto q = m_db->query(
        "SELECT name FROM metric_names n WHERE EXISTS "
        "(SELECT 1 FROM metrics WHERE run_id = ?1 AND name_id = n.id) ORDER BY name");
    q.bind_int(1, id);
    std::vector<std::string> names;
    while (q.next()) names.push_back(q.text_at(0));
    return names;
}

std::vector<MetricPoint> RunStore::metrics(int64_t id, const std::string& name) const {
    return metrics_after(id, name, std::numeric_limits<int64_t>::min());
}

std::vector<MetricPoint> RunStore::metrics_after(int64_t id, const std::string& name,
                                                 int64_t after_step) const {
    std::lock_guard lock(m_mutex);
    const std::optional<int64_t> name_id = metric_name_id(*m_db, name);
    if (!name_id) return {};
    if (auto packed = read_packed_series(*m_db, id, *name_id, after_step)) return *packed;
    // No packed copy: a live run, a file from before packing, a run whose packing failed or a
    // damaged blob. A finished run gets its copy now, unless a writer holds the lock: a reader
    // never waits for an optimisation.
    if (!m_db->read_only() && run_is_finished(*m_db, id)) {
        try {
            Transaction tx(*m_db, Transaction::NoWait{});
            if (tx.active()) {
                auto all =
                    read_series_rows(*m_db, id, *name_id, std::numeric_limits<int64_t>::min());
                write_packed_series(*m_db, id, *name_id, all);
                tx.commit();
                const auto first = std::upper_bound(
                    all.begin(), all.end(), after_step,
                    [](int64_t step, const MetricPoint& p) { return step < p.step; });
                if (first != all.begin()) all.erase(all.begin(), first);
                return all;
            }
        } catch (const StorageError&) {
            // Packing failed (disk full, read-only file): the rows below still answer.
        }
    }
    return read_series_rows(*m_db, id, *name_id, after_step);
}

std::map<std::string, MetricPoint> RunStore::last_metrics(int64_t id) const {
    std::lock_guard lock(m_mutex);
    // CROSS JOIN keeps metric_names as the outer loop: a few index probes per name. Left to
    // itself the planner walks every point of the run instead (a second per million points).
    auto q = m_db->query(
        "SELECT n.name, m.step, m.wall_s, m.value FROM metric_names n CROSS JOIN metrics m "
        "ON m.run_id = ?1 AND m.name_id = n.id AND m.step = "
        "(SELECT MAX(step) FROM metrics WHERE run_id = ?1 AND name_id = n.id)");
    q.bind_int(1, id);
    std::map<std::string, MetricPoint> last;
    while (q.next()) last[q.text_at(0)] = MetricPoint{q.int_at(1), q.real_at(2), q.real_at(3)};
    return last;
}

std::vector<SampleRow> RunStore::samples(int64_t id, const std::string& kind) const {
    std::lock_guard lock(m_mutex);
    auto q = m_db->query(std::string(kSampleColumns) + kKindFilter + "ORDER BY step, id");
    q.bind_int(1, id).bind_text(2, kind);
    std::vector<SampleRow> rows;
    while (q.next()) rows.push_back(read_sample(q));
    return rows;
}

std::optional<SampleRow> RunStore::latest_sample(int64_t id, const std::string& kind) const {
    std::lock_guard lock(m_mutex);
    auto q = m_db->query(std::string(kSampleColumns) + kKindFilter +
                         "ORDER BY step DESC, id DESC LIMIT 1");
    q.bind_int(1, id).bind_text(2, kind);
    if (!q.next()) return std::nullopt;
    return read_sample(q);
}

std::vector<LogRow> RunStore::logs(int64_t id) const {
    std::lock_guard lock(m_mutex);
    auto q =
        m_db->query("SELECT step, wall_s, level, text FROM logs WHERE run_id = ?1 ORDER BY id");
    q.bind_int(1, id);
    std::vector<LogRow> rows;
    while (q.next()) rows.push_back(LogRow{q.int_at(0), q.real_at(1), q.text_at(2), q.text_at(3)});
    return rows;
}

std::optional<CheckpointRow> RunStore::latest_checkpoint(int64_t id) const {
    std::lock_guard lock(m_mutex);
    // Replacing a row gives it a new rowid, so the highest rowid is the last one written.
    auto q = m_db->query(
        "SELECT step, path FROM checkpoints WHERE run_id = ?1 ORDER BY rowid DESC LIMIT 1");
    q.bind_int(1, id);
    if (!q.next()) return std::nullopt;
    return CheckpointRow{q.int_at(0), q.text_at(1)};
}

int RunStore::mark_interrupted_runs() {
    std::lock_guard lock(m_mutex);
    struct Candidate {
        int64_t id = 0;
        ProcessOwner owner;
    };
    std::vector<Candidate> gone;
    {
        auto q =
            m_db->query(std::string("SELECT id, owner_pid, owner_host, owner_boot FROM runs "
                                    "WHERE status IN ('queued', 'running', 'paused') AND NOT ") +
                        kWaitingInQueue);
        while (q.next()) {
            Candidate c{q.int_at(0), ProcessOwner{q.int_at(1), q.text_at(2), q.text_at(3)}};
            if (owner_is_gone(c.owner)) gone.push_back(std::move(c));
        }
    }
    // Most opens find nothing to mark and so never take the write lock.
    if (gone.empty()) return 0;
    Transaction tx(*m_db);
    int marked = 0;
    for (const Candidate& c : gone) {
        // The owner must still match: another process may have resumed the run meanwhile.
        auto q = m_db->query(
            "UPDATE runs SET status = 'interrupted', "
            "ended_at = CASE WHEN ended_at = 0 THEN ?2 ELSE ended_at END "
            "WHERE id = ?1 AND status IN ('queued', 'running', 'paused') AND owner_pid = ?3 "
            "AND owner_host = ?4 AND owner_boot = ?5");
        q.bind_int(1, c.id)
            .bind_real(2, now_unix_s())
            .bind_int(3, c.owner.pid)
            .bind_text(4, c.owner.host)
            .bind_text(5, c.owner.boot_id);
        q.run();
        marked += m_db->changes();
    }
    tx.commit();
    return marked;
}

}  // namespace wb::storage
