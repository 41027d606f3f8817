// Migration list and the user_version bookkeeping around it.
#include "storage/schema.h"

#include <iterator>
#include <string>

#include "storage/connection.h"
#include "storage/storage_error.h"

namespace wb::storage {

namespace {

// Index i holds the step from user_version i to i + 1.
// Columns are NOT NULL with defaults so readers never meet NULL except a NaN metric value.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'queued',
    model TEXT NOT NULL DEFAULT '',
    config_json TEXT NOT NULL DEFAULT '{}',
    env_json TEXT NOT NULL DEFAULT '{}',
    notes TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    failure TEXT NOT NULL DEFAULT '',
    checkpoint_dir TEXT NOT NULL DEFAULT '',
    steps_done INTEGER NOT NULL DEFAULT 0,
    total_steps INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL DEFAULT 0,
    started_at REAL NOT NULL DEFAULT 0,
    ended_at REAL NOT NULL DEFAULT 0,
    wall_s REAL NOT NULL DEFAULT 0,
    owner_pid INTEGER NOT NULL DEFAULT 0,
    owner_host TEXT NOT NULL DEFAULT '',
    owner_boot TEXT NOT NULL DEFAULT ''
);
CREATE TABLE metric_names (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE metrics (
    run_id INTEGER NOT NULL,
    name_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    wall_s REAL NOT NULL,
    value REAL,
    PRIMARY KEY (run_id, name_id, step)
) WITHOUT ROWID;
CREATE TABLE samples (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    wall_s REAL NOT NULL,
    kind TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX samples_by_run ON samples (run_id, step);
CREATE TABLE logs (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    wall_s REAL NOT NULL,
    level TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX logs_by_run ON logs (run_id, id);
CREATE TABLE checkpoints (
    run_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    path TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (run_id, step)
);
)sql",
    // A packed copy of each finished run's series, so the compare view reads one blob per series
    // instead of one row per point (storage/metric_series.h has the format and the rules that
    // keep it equal to the rows). Older files get the table empty; their finished runs are
    // packed on first read.
    R"sql(
CREATE TABLE metric_series (
    run_id INTEGER NOT NULL,
    name_id INTEGER NOT NULL,
    count INTEGER NOT NULL,
    max_step INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (run_id, name_id)
);
)sql",
    // Run ids are never handed out again: a new run that got a deleted run's id showed that
    // run's cached name, steps and log in the UI. AUTOINCREMENT needs the table rebuilt; the
    // counter starts above every id that still has rows anywhere, so leftovers of a run deleted
    // before this migration cannot be adopted either.
    R"sql(
CREATE TABLE runs_v3 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'queued',
    model TEXT NOT NULL DEFAULT '',
    config_json TEXT NOT NULL DEFAULT '{}',
    env_json TEXT NOT NULL DEFAULT '{}',
    notes TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    failure TEXT NOT NULL DEFAULT '',
    checkpoint_dir TEXT NOT NULL DEFAULT '',
    steps_done INTEGER NOT NULL DEFAULT 0,
    total_steps INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL DEFAULT 0,
    started_at REAL NOT NULL DEFAULT 0,
    ended_at REAL NOT NULL DEFAULT 0,
    wall_s REAL NOT NULL DEFAULT 0,
    owner_pid INTEGER NOT NULL DEFAULT 0,
    owner_host TEXT NOT NULL DEFAULT '',
    owner_boot TEXT NOT NULL DEFAULT ''
);
INSERT INTO runs_v3 (id, name, status, model, config_json, env_json, notes, error, failure,
    checkpoint_dir, steps_done, total_steps, created_at, started_at, ended_at, wall_s, owner_pid,
    owner_host, owner_boot)
SELECT id, name, status, model, config_json, env_json, notes, error, failure, checkpoint_dir,
    steps_done, total_steps, created_at, started_at, ended_at, wall_s, owner_pid, owner_host,
    owner_boot FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v3 RENAME TO runs;
INSERT INTO sqlite_sequence (name, seq) SELECT 'runs', 0
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'runs');
UPDATE sqlite_sequence SET seq = MAX(seq,
    (SELECT COALESCE(MAX(id), 0) FROM runs),
    (SELECT COALESCE(MAX(run_id), 0) FROM metrics),
    (SELECT COALESCE(MAX(run_id), 0) FROM samples),
    (SELECT COALESCE(MAX(run_id), 0) FROM logs),
    (SELECT COALESCE(MAX(run_id), 0) FROM checkpoints),
    (SELECT COALESCE(MAX(run_id), 0) FROM metric_series))
WHERE name = 'runs';
)sql",
    // The run queue (issue 18). A queued run is a runs row with status 'queued' and no owner
    // (owner_host ''), so no open marks it interrupted; its entry here holds what the scheduler
    // needs: priority, order, the resources it declared, and where it stands. The lock row
    // names the one scheduler that may start runs from this database.
    R"sql(
CREATE TABLE queue (
    run_id INTEGER PRIMARY KEY,
    priority INTEGER NOT NULL DEFAULT 0,
    position REAL NOT NULL DEFAULT 0,
    threads INTEGER NOT NULL DEFAULT 1,
    gpus INTEGER NOT NULL DEFAULT 0,
    gpu_ids TEXT NOT NULL DEFAULT '',
    gpu_mem_mb INTEGER NOT NULL DEFAULT 0,
    sweep TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'waiting',
    assigned_gpus TEXT NOT NULL DEFAULT '',
    worker_pid INTEGER NOT NULL DEFAULT 0,
    starts INTEGER NOT NULL DEFAULT 0,
    preemptions INTEGER NOT NULL DEFAULT 0,
    added_at REAL NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE scheduler_lock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    owner_pid INTEGER NOT NULL,
    owner_host TEXT NOT NULL,
    owner_boot TEXT NOT NULL,
    since REAL NOT NULL
);
)sql",
};

int user_version(Connection& db) {
    auto q = db.query("PRAGMA user_version");
    return q.next() ? static_cast<int>(q.int_at(0)) : 0;
}

}  // namespace

bool schema_is_current(Connection& db) {
    return user_version(db) == schema_version();
}

int schema_version() {
    return static_cast<int>(std::size(kMigrations));
}

void check_schema_version(Connection& db) {
    const int found = user_version(db);
    // Version 0 is the empty file; one that already holds tables belongs to another program,
    // and adding ours (or switching it to WAL) would change a file that is not ours.
    if (found == 0) {
        auto q = db.query(
            "SELECT group_concat(name, ', ') FROM sqlite_master WHERE type = 'table' AND "
            "name NOT LIKE 'sqlite_%'");
        const std::string tables = q.next() ? q.text_at(0) : std::string();
        if (!tables.empty())
            throw StorageError(db.path() +
                               ": is a SQLite database of another program (its tables: " + tables +
                               "), not a GenAI Workbench run history. It was left untouched: "
                               "pass --db <a workbench database or a new file>.");
    }
    // Found by fuzz_database: a negative version indexed the migrations before their start.
    if (found < 0)
        throw StorageError(db.path() +
                           ": is not a GenAI Workbench run history (its schema "
                           "version is " +
                           std::to_string(found) +
                           "). It was left untouched: pass --db <a workbench database or a new "
                           "file>.");
    if (found > schema_version())
        throw StorageError(
            db.path() + ": was written by a newer GenAI Training Workbench (schema " +
            std::to_string(found) + ", this build knows up to " + std::to_string(schema_version()) +
            "). Upgrade the app to open it, or pass --db <other file>.");
}

void migrate(Connection& db) {
    if (user_version(db) == schema_version()) return;
    Transaction tx(db);
    // Re-read under the write lock: another process may have migrated since the first look.
    const int from = user_version(db);
    if (from > schema_version()) check_schema_version(db);
    for (int v = from; v < schema_version(); ++v) db.exec(kMigrations[v]);
    // PRAGMA takes no bound parameters; the value is our own integer.
    db.exec(("PRAGMA user_version = " + std::to_string(schema_version())).c_str());
    tx.commit();
}

}  // namespace wb::storage
