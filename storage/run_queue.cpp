// RunStore's side of the run queue: queued rows and their entries, the scheduler's state moves
// (each a compare-and-set on the entry's state, so a crash between two moves leaves a state the
// next scheduler can read), and the one-scheduler lock.
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "storage/connection.h"
#include "storage/run_row_sql.h"
#include "storage/run_store.h"

namespace wb::storage {

namespace {

constexpr const char* kStates[] = {"waiting", "started", "preempting", "done", "cancelled"};

constexpr const char* kEntryColumns =
    "SELECT q.run_id, q.priority, q.position, q.threads, q.gpus, q.gpu_ids, q.gpu_mem_mb, "
    "q.sweep, q.state, q.assigned_gpus, q.worker_pid, q.starts, q.preemptions, q.added_at, "
    "q.note, r.name, r.model, r.status, r.steps_done, r.total_steps, r.owner_pid, r.owner_host, "
    "r.owner_boot, r.started_at, r.ended_at FROM queue q JOIN runs r ON r.id = q.run_id ";

// Lists stored by this build; a damaged one reads as no GPUs rather than failing every read.
std::vector<int> stored_gpus(const std::string& text) {
    try {
        return parse_gpu_list(text);
    } catch (const std::invalid_argument&) {
        return {};
    }
}

QueueEntry read_entry(const Query& q) {
    QueueEntry e;
    e.run_id = q.int_at(0);
    e.priority = q.int_at(1);
    e.position = q.real_at(2);
    e.need.threads = static_cast<int>(q.int_at(3));
    e.need.gpus = static_cast<int>(q.int_at(4));
    e.need.gpu_ids = stored_gpus(q.text_at(5));
    e.need.gpu_mem_mb = q.int_at(6);
    e.sweep = q.text_at(7);
    e.state = queue_state_from_string(q.text_at(8));
    e.assigned_gpus = stored_gpus(q.text_at(9));
    e.worker_pid = q.int_at(10);
    e.starts = static_cast<int>(q.int_at(11));
    e.preemptions = static_cast<int>(q.int_at(12));
    e.added_at = q.real_at(13);
    e.note = q.text_at(14);
    e.name = q.text_at(15);
    e.model = q.text_at(16);
    e.status = api::status_from_string(q.text_at(17));
    e.steps_done = q.int_at(18);
    e.total_steps = q.int_at(19);
    e.owner = ProcessOwner{q.int_at(20), q.text_at(21), q.text_at(22)};
    e.owner_gone = !e.owner.host.empty() && owner_is_gone(e.owner);
    e.started_at = q.real_at(23);
    e.ended_at = q.real_at(24);
    return e;
}

void require_queued(Connection& db, int64_t id) {
    if (db.changes() == 0)
        throw StorageError(db.path() + ": run " + std::to_string(id) +
                           " is not in the queue. `workbench-cli queue` lists the queued runs.");
}

}  // namespace

const char* to_string(QueueState s) {
    return kStates[static_cast<int>(s)];
}

QueueState queue_state_from_string(const std::string& text) {
    for (int i = 0; i < 5; ++i)
        if (text == kStates[i]) return static_cast<QueueState>(i);
    return QueueState::Waiting;
}

std::string gpu_list_text(const std::vector<int>& ids) {
    std::string out;
    for (int id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
    return out;
}

std::vector<int> parse_gpu_list(const std::string& text) {
    std::vector<int> ids;
    size_t at = 0;
    while (at < text.size()) {
        const size_t comma = std::min(text.find(',', at), text.size());
        int id = -1;
        const char* first = text.data() + at;
        const char* last = text.data() + comma;
        const auto [end, ec] = std::from_chars(first, last, id);
        if (ec != std::errc() || end != last || id < 0 || id > 1023)
            throw std::invalid_argument("'" + text +
                                        "' is not a list of GPU ids (such as 0 or 0,2)");
        for (int seen : ids)
            if (seen == id)
                throw std::invalid_argument("GPU " + std::to_string(id) + " is listed twice in '" +
                                            text + "'");
        ids.push_back(id);
        at = comma + 1;
    }
    return ids;
}

int64_t RunStore::enqueue_run(const std::string& name, const std::string& model,
                              const std::string& config_json, const std::string& env_json,
                              int64_t total_steps, const QueueResources& need, int64_t priority,
                              const std::string& sweep) {
    std::lock_guard lock(m_mutex);
    Transaction tx(*m_db);
    const double now = now_unix_s();
    {
        auto q = m_db->query(
            "INSERT INTO runs (name, status, model, config_json, env_json, total_steps, "
            "created_at, owner_pid, owner_host, owner_boot) "
            "VALUES (?1, 'queued', ?2, ?3, ?4, ?5, ?6, 0, '', '')");
        q.bind_text(1, name)
            .bind_text(2, model)
            .bind_text(3, config_json)
            .bind_text(4, env_json)
            .bind_int(5, total_steps)
            .bind_real(6, now);
        q.run();
    }
    const int64_t id = m_db->last_insert_id();
    auto q = m_db->query(
        "INSERT INTO queue (run_id, priority, position, threads, gpus, gpu_ids, gpu_mem_mb, "
        "sweep, added_at) VALUES (?1, ?2, (SELECT COALESCE(MAX(position), 0) + 1 FROM queue), "
        "?3, ?4, ?5, ?6, ?7, ?8)");
    q.bind_int(1, id)
        .bind_int(2, priority)
        .bind_int(3, need.threads)
        .bind_int(4, need.gpus)
        .bind_text(5, gpu_list_text(need.gpu_ids))
        .bind_int(6, need.gpu_mem_mb)
        .bind_text(7, sweep)
        .bind_real(8, now);
    q.run();
    tx.commit();
    return id;
}

std::vector<QueueEntry> RunStore::queue_entries(bool finished) const {
    std::lock_guard lock(m_mutex);
    auto q = m_db->query(std::string(kEntryColumns) +
                         (finished ? "" : "WHERE q.state NOT IN ('done', 'cancelled') ") +
                         "ORDER BY q.priority DESC, q.position, q.run_id");
    std::vector<QueueEntry> out;
    while (q.next()) out.push_back(read_entry(q));
    return out;
}

std::optional<QueueEntry> RunStore::queue_entry(int64_t id) const {
    std::lock_guard lock(m_mutex);
    auto q = m_db->query(std::string(kEntryColumns) + "WHERE q.run_id = ?1");
    q.bind_int(1, id);
    if (!q.next()) return std::nullopt;
    return read_entry(q);
}

void RunStore::set_queue_priority(int64_t id, int64_t priority) {
    std::lock_guard lock(m_mutex);
    auto q = m_db->query("UPDATE queue SET priority = ?2 WHERE run_id = ?1");
    q.bind_int(1, id).bind_int(2, priority);
    q.run();
    require_queued(*m_db, id);
}

void RunStore::move_in_queue(int64_t id, int64_t before) {
    std::lock_guard lock(m_mutex);
    Transaction tx(*m_db);
    if (before == 0) {
        auto q = m_db->query(
            "UPDATE queue SET position = (SELECT MAX(position) + 1 FROM queue), priority = "
            "(SELECT MIN(priority) FROM queue WHERE state NOT IN ('done', 'cancelled')) "
            "WHERE run_id = ?1");
        q.bind_int(1, id);
        q.run();
        require_queued(*m_db, id);
    } else {
        int64_t priority = 0;
        double position = 0;
        {
            auto q = m_db->query("SELECT priority, position FROM queue WHERE run_id = ?1");
            q.bind_int(1, before);
            if (!q.next())
                throw StorageError(m_db->path() + ": run " + std::to_string(before) +
                                   " is not in the queue. `workbench-cli queue` lists the "
                                   "queued runs.");
            priority = q.int_at(0);
            position = q.real_at(1);
        }
        // Halfway to the entry before `before`: no other entry moves.
        double previous = position - 1;
        {
            auto q = m_db->query(
                "SELECT MAX(position) FROM queue WHERE priority = ?1 AND position < ?2 AND "
                "run_id != ?3");
            q.bind_int(1, priority).bind_real(2, position).bind_int(3, id);
            if (q.next() && !std::isnan(q.real_at(0))) previous = q.real_at(0);
        }
        auto q = m_db->query("UPDATE queue SET priority = ?2, position = ?3 WHERE run_id = ?1");
        q.bind_int(1, id).bind_int(2, priority).bind_real(3, (previous + position) / 2);
        q.run();
        require_queued(*m_db, id);
    }
    tx.commit();
}

bool RunStore::queue_started(int64_t id, int64_t worker_pid, const std::vector<int>& gpus) {
    std::lock_guard lock(m_mutex);
    auto q = m_db->query(
        "UPDATE queue SET state = 'started', worker_pid = ?2, assigned_gpus = ?3, "
        "starts = starts + 1 WHERE run_id = ?1 AND state = 'waiting'");
    q.bind_int(1, id).bind_int(2, worker_pid).bind_text(3, gpu_list_text(gpus));
    q.run();
    return m_db->changes() > 0;
}

bool RunStore::queue_preempting(int64_t id) {
    std::lock_guard lock(m_mutex);
    auto q = m_db->query(
        "UPDATE queue SET state = 'preempting' WHERE run_id = ?1 AND state = 'started'");
    q.bind_int(1, id);
    q.run();
    return m_db->changes() > 0;
}

bool RunStore::queue_requeue(int64_t id, bool preempted, const std::string& note) {
    std::lock_guard lock(m_mutex);
    Transaction tx(*m_db);
    auto q = m_db->query(
        "UPDATE queue SET state = 'waiting', worker_pid = 0, assigned_gpus = '', "
        "preemptions = preemptions + ?2, note = ?3 WHERE run_id = ?1 AND state IN ('started', "
        "'preempting')");
    q.bind_int(1, id).bind_int(2, preempted ? 1 : 0).bind_text(3, note);
    q.run();
    if (m_db->changes() == 0) return false;
    // No owner: the row waits for the scheduler and no open marks it interrupted.
    auto r = m_db->query(
        "UPDATE runs SET status = 'queued', owner_pid = 0, owner_host = '', owner_boot = '' "
        "WHERE id = ?1");
    r.bind_int(1, id);
    r.run();
    tx.commit();
    return true;
}

bool RunStore::queue_done(int64_t id, const std::string& note) {
    std::lock_guard lock(m_mutex);
    auto q = m_db->query(
        "UPDATE queue SET state = 'done', worker_pid = 0, note = ?2 WHERE run_id = ?1 AND "
        "state IN ('waiting', 'started', 'preempting')");
    q.bind_int(1, id).bind_text(2, note);
    q.run();
    return m_db->changes() > 0;
}

std::optional<QueueEntry> RunStore::queue_cancel(int64_t id) {
    std::lock_guard lock(m_mutex);
    Transaction tx(*m_db);
    std::optional<QueueEntry> before;
    {
        auto q = m_db->query(std::string(kEntryColumns) + "WHERE q.run_id = ?1");
        q.bind_int(1, id);
        if (q.next()) before = read_entry(q);
    }
    if (!before || before->state == QueueState::Done || before->state == QueueState::Cancelled)
        return std::nullopt;
    {
        auto q = m_db->query("UPDATE queue SET state = 'cancelled' WHERE run_id = ?1");
        q.bind_int(1, id);
        q.run();
    }
    if (before->waiting_run()) {
        auto q = m_db->query(
            "UPDATE runs SET status = 'stopped', ended_at = ?2 WHERE id = ?1 AND "
            "status = 'queued' AND owner_host = ''");
        q.bind_int(1, id).bind_real(2, now_unix_s());
        q.run();
    }
    tx.commit();
    return before;
}

std::optional<std::pair<ProcessOwner, double>> RunStore::take_scheduler_lock() {
    std::lock_guard lock(m_mutex);
    Transaction tx(*m_db);
    const ProcessOwner me = current_owner();
    {
        auto q = m_db->query(
            "SELECT owner_pid, owner_host, owner_boot, since FROM scheduler_lock WHERE id = 1");
        if (q.next()) {
            const ProcessOwner holder{q.int_at(0), q.text_at(1), q.text_at(2)};
            const bool mine =
                holder.pid == me.pid && holder.host == me.host && holder.boot_id == me.boot_id;
            if (mine) return std::nullopt;
            if (!owner_is_gone(holder)) return std::make_pair(holder, q.real_at(3));
        }
    }
    auto q = m_db->query(
        "INSERT OR REPLACE INTO scheduler_lock (id, owner_pid, owner_host, owner_boot, since) "
        "VALUES (1, ?1, ?2, ?3, ?4)");
    q.bind_int(1, me.pid).bind_text(2, me.host).bind_text(3, me.boot_id).bind_real(4, now_unix_s());
    q.run();
    tx.commit();
    return std::nullopt;
}

void RunStore::release_scheduler_lock() {
    std::lock_guard lock(m_mutex);
    const ProcessOwner me = current_owner();
    auto q = m_db->query(
        "DELETE FROM scheduler_lock WHERE owner_pid = ?1 AND owner_host = ?2 AND owner_boot = ?3");
    q.bind_int(1, me.pid).bind_text(2, me.host).bind_text(3, me.boot_id);
    q.run();
}

}  // namespace wb::storage
