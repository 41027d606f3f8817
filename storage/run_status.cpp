// Status change SQL: one UPDATE whose CASE arms encode the transition rules in run_status.h.
#include "storage/run_status.h"

#include "storage/connection.h"
#include "storage/owner.h"

namespace wb::storage {

namespace {

enum ErrorMode : int64_t { kKeepError = 0, kSetError = 1, kClearError = 2 };

constexpr const char* kUpdateStatus = R"sql(
UPDATE runs SET
    status = ?2,
    started_at = CASE WHEN ?3 AND started_at = 0 THEN ?4 ELSE started_at END,
    ended_at = CASE WHEN ?5 THEN ?4 ELSE 0 END,
    owner_pid = CASE WHEN ?6 THEN ?7 ELSE owner_pid END,
    owner_host = CASE WHEN ?6 THEN ?8 ELSE owner_host END,
    owner_boot = CASE WHEN ?6 THEN ?9 ELSE owner_boot END,
    error = CASE ?10 WHEN 1 THEN ?11 WHEN 2 THEN '' ELSE error END,
    failure = CASE WHEN ?12 THEN ?13 WHEN ?10 = 2 THEN '' ELSE failure END
WHERE id = ?1
)sql";

}  // namespace

bool apply_status(Connection& db, const StatusChange& change) {
    using api::RunStatus;
    const bool running = change.status == RunStatus::Running;
    const bool fresh = running || change.status == RunStatus::Queued;
    const bool final = api::is_final(change.status);
    const bool failed = change.status == RunStatus::Failed;
    const ErrorMode error_mode = failed ? kSetError : fresh ? kClearError : kKeepError;
    const bool set_failure = failed && change.failure.has_value();
    const ProcessOwner owner = current_owner();

    auto q = db.query(kUpdateStatus);
    q.bind_int(1, change.run_id)
        .bind_text(2, api::to_string(change.status))
        .bind_int(3, running)
        .bind_real(4, change.at_s)
        .bind_int(5, final)
        .bind_int(6, !final)
        .bind_int(7, owner.pid)
        .bind_text(8, owner.host)
        .bind_text(9, owner.boot_id)
        .bind_int(10, error_mode)
        .bind_text(11, change.message)
        .bind_int(12, set_failure)
        .bind_text(13, set_failure ? api::to_string(*change.failure) : "");
    q.run();
    return db.changes() > 0;
}

}  // namespace wb::storage
