// RunStore's claim of a run for a continue, its release when the continue does not happen, and
// the reset of a run that starts over.
#include "storage/run_store.h"

#include "storage/connection.h"
#include "storage/run_row_sql.h"

namespace wb::storage {

namespace {

bool is_live(api::RunStatus s) {
    return s == api::RunStatus::Queued || s == api::RunStatus::Running ||
           s == api::RunStatus::Paused;
}

bool same(const ProcessOwner& a, const ProcessOwner& b) {
    return a.pid == b.pid && a.host == b.host && a.boot_id == b.boot_id;
}

}  // namespace

Claim RunStore::claim_run(int64_t id, bool own_live) {
    std::lock_guard lock(m_mutex);
    // The read and the write share one write transaction: a second process claiming at the
    // same moment waits for it, then finds the run taken.
    Transaction tx(*m_db);
    Claim claim;
    {
        auto q = m_db->query(std::string(kRunColumns) + "WHERE id = ?1");
        q.bind_int(1, id);
        if (!q.next())
            throw StorageError(m_db->path() + ": no run with id " + std::to_string(id) +
                               ". List the runs to see which ids exist.");
        claim.before = read_run(q);
    }
    {
        auto q = m_db->query("SELECT owner_pid, owner_host, owner_boot FROM runs WHERE id = ?1");
        q.bind_int(1, id);
        if (q.next()) claim.holder = ProcessOwner{q.int_at(0), q.text_at(1), q.text_at(2)};
    }
    const ProcessOwner me = current_owner();
    const bool mine = same(claim.holder, me);
    if (is_live(claim.before.status) && !(own_live && mine) && !owner_is_gone(claim.holder))
        return claim;
    auto q = m_db->query(
        "UPDATE runs SET status = 'queued', owner_pid = ?2, owner_host = ?3, owner_boot = ?4 "
        "WHERE id = ?1");
    q.bind_int(1, id).bind_int(2, me.pid).bind_text(3, me.host).bind_text(4, me.boot_id);
    q.run();
    tx.commit();
    claim.claimed = true;
    claim.holder = me;
    return claim;
}

void RunStore::release_claim(const RunRow& before) {
    std::lock_guard lock(m_mutex);
    const ProcessOwner me = current_owner();
    auto q = m_db->query(
        "UPDATE runs SET status = ?2, error = ?3, failure = ?4, ended_at = ?5, config_json = ?6, "
        "total_steps = ?7 WHERE id = ?1 AND owner_pid = ?8 AND owner_host = ?9 AND "
        "owner_boot = ?10");
    q.bind_int(1, before.id)
        .bind_text(2, api::to_string(before.status))
        .bind_text(3, before.error)
        .bind_text(4, before.failure == api::FailureKind::Unset ? std::string()
                                                                : api::to_string(before.failure))
        .bind_real(5, before.ended_at)
        .bind_text(6, before.config_json)
        .bind_int(7, before.total_steps)
        .bind_int(8, me.pid)
        .bind_text(9, me.host)
        .bind_text(10, me.boot_id);
    q.run();
}

void RunStore::clear_history(int64_t id) {
    std::lock_guard lock(m_mutex);
    Transaction tx(*m_db);
    for (const char* sql :
         {"DELETE FROM metrics WHERE run_id = ?1", "DELETE FROM samples WHERE run_id = ?1",
          "DELETE FROM checkpoints WHERE run_id = ?1",
          "DELETE FROM metric_series WHERE run_id = ?1",
          "UPDATE runs SET steps_done = 0, wall_s = 0 WHERE id = ?1"}) {
        auto q = m_db->query(sql);
        q.bind_int(1, id);
        q.run();
    }
    tx.commit();
}

}  // namespace wb::storage
