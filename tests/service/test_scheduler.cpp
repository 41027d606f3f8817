// The queue's policy (plan_queue) on made-up queues, the Scheduler against a real database with
// fake workers, the one-scheduler lock, sweep expansion, and group statistics against values
// computed by hand.
#include <QtTest>

#include <unistd.h>

#include <cmath>
#include <random>
#include <set>

#include <sqlite3.h>

#include "engine/service/scheduler.h"
#include "engine/service/sweep.h"
#include "storage/run_store.h"

using namespace wb;
using storage::QueueEntry;
using storage::QueueState;

namespace {

QueueEntry waiting(int64_t id, int threads, int64_t priority = 0) {
    QueueEntry e;
    e.run_id = id;
    e.priority = priority;
    e.position = static_cast<double>(id);
    e.need.threads = threads;
    e.state = QueueState::Waiting;
    e.status = api::RunStatus::Queued;
    return e;
}

QueueEntry running(int64_t id, int threads, int64_t priority, double started_at) {
    QueueEntry e = waiting(id, threads, priority);
    e.state = QueueState::Started;
    e.status = api::RunStatus::Running;
    e.owner.host = "here";
    e.owner.pid = 100 + id;
    e.started_at = started_at;
    return e;
}

// plan_queue takes entries in queue order (priority, then position), as RunStore gives them.
void sort_queue(std::vector<QueueEntry>* q) {
    std::stable_sort(q->begin(), q->end(), [](const QueueEntry& a, const QueueEntry& b) {
        if (a.priority != b.priority) return a.priority > b.priority;
        return a.position < b.position;
    });
}

std::vector<int64_t> started_ids(const service::Plan& p) {
    std::vector<int64_t> ids;
    for (const auto& s : p.starts) ids.push_back(s.run_id);
    return ids;
}

}  // namespace

class TestScheduler final : public QObject {
    Q_OBJECT

private slots:
    void admissionNeverExceedsTheCores();
    void waitingRunsStartInPriorityOrderWithoutBackfill();
    void preemptsTheLowestPriorityNewestFirstAndNoMoreThanNeeded();
    void neverPreemptsEqualPriorityOrTwice();
    void gpusWholeOrSharedByMemory();
    void neverFitsNamesTheOption();
    void schedulerStartsRequeuesAndFinishesWithFakeWorkers();
    void oneSchedulerPerDatabase();
    void queueOrderPriorityAndCancel();
    void sweepExpandsTheGridTimesSeeds();
    void sweepAxisErrors();
    void groupStatAndBandMatchHandValues();
};

void TestScheduler::admissionNeverExceedsTheCores() {
    // Random queues and running sets: what runs after the plan never needs more than the cores.
    std::mt19937 rng(7);
    for (int trial = 0; trial < 2000; ++trial) {
        service::Capacity cap;
        cap.cores = 1 + static_cast<int>(rng() % 8);
        std::vector<QueueEntry> q;
        int used = 0;
        int64_t id = 1;
        for (int i = 0; i < static_cast<int>(rng() % 4); ++i) {
            const int t = 1 + static_cast<int>(rng() % 3);
            if (used + t > cap.cores) break;
            used += t;
            q.push_back(running(id++, t, static_cast<int>(rng() % 3), i));
        }
        for (int i = 0; i < static_cast<int>(rng() % 10); ++i)
            q.push_back(waiting(id++, 1 + static_cast<int>(rng() % cap.cores),
                                static_cast<int>(rng() % 3)));
        sort_queue(&q);
        const service::Plan p = service::plan_queue(q, cap);
        int after = used;
        for (const auto& s : p.starts)
            for (const auto& e : q)
                if (e.run_id == s.run_id) after += e.need.threads;
        QVERIFY2(
            after <= cap.cores,
            qPrintable(
                QString("trial %1: %2 threads on %3 cores").arg(trial).arg(after).arg(cap.cores)));
        // Whatever it starts it starts without preempting in the same plan for it.
        if (!p.preempt.empty()) QVERIFY(p.blocked != 0);
    }
}

void TestScheduler::waitingRunsStartInPriorityOrderWithoutBackfill() {
    service::Capacity cap;
    cap.cores = 2;
    // Priority 5 first, then FIFO within priority 0.
    std::vector<QueueEntry> q = {waiting(1, 1), waiting(2, 1), waiting(3, 1, 5)};
    sort_queue(&q);
    QCOMPARE(started_ids(service::plan_queue(q, cap)), (std::vector<int64_t>{3, 1}));
    // A 2-thread run at the head blocks a 1-thread run behind it that would fit: no starving.
    std::vector<QueueEntry> r = {running(1, 1, 0, 1), waiting(2, 2), waiting(3, 1)};
    const service::Plan p = service::plan_queue(r, cap);
    QVERIFY(p.starts.empty());
    QCOMPARE(p.blocked, int64_t(2));
    QVERIFY(p.preempt.empty());  // same priority: it waits
}

void TestScheduler::preemptsTheLowestPriorityNewestFirstAndNoMoreThanNeeded() {
    service::Capacity cap;
    cap.cores = 4;
    // Running: id 1 (prio 1), id 2 (prio 0, started first), id 3 (prio 0, started last), id 4
    // (prio 2). A prio-3 run needing 1 thread on a full machine preempts id 3 only.
    std::vector<QueueEntry> q = {running(1, 1, 1, 1), running(2, 1, 0, 2), running(3, 1, 0, 3),
                                 running(4, 1, 2, 4), waiting(5, 1, 3)};
    sort_queue(&q);
    service::Plan p = service::plan_queue(q, cap);
    QCOMPARE(p.blocked, int64_t(5));
    QCOMPARE(p.preempt, (std::vector<int64_t>{3}));
    QVERIFY(p.starts.empty());  // it starts once the preempted run has stopped
    // Needing 3 threads it takes both prio-0 runs and then the prio-1 one, never the prio-2.
    for (auto& e : q)
        if (e.run_id == 5) e.need.threads = 3;
    p = service::plan_queue(q, cap);
    QCOMPARE(p.preempt, (std::vector<int64_t>{3, 2, 1}));
    // A 2-thread victim that alone makes room spares the 1-thread one preempted before it.
    std::vector<QueueEntry> r = {running(1, 2, 0, 1), running(2, 1, 0, 5), running(3, 1, 1, 2),
                                 waiting(4, 2, 3)};
    sort_queue(&r);
    p = service::plan_queue(r, cap);
    QCOMPARE(p.preempt, (std::vector<int64_t>{1}));
}

void TestScheduler::neverPreemptsEqualPriorityOrTwice() {
    service::Capacity cap;
    cap.cores = 2;
    std::vector<QueueEntry> q = {running(1, 1, 0, 1), running(2, 1, 0, 2), waiting(3, 1, 0)};
    QVERIFY(service::plan_queue(q, cap).preempt.empty());
    // A run already stopping for it is enough: nothing more is preempted.
    q = {running(1, 1, 0, 1), running(2, 1, 0, 2), waiting(3, 1, 4)};
    q[1].state = QueueState::Preempting;
    sort_queue(&q);
    const service::Plan p = service::plan_queue(q, cap);
    QVERIFY(p.preempt.empty());
    QVERIFY(p.starts.empty());
    QCOMPARE(p.blocked, int64_t(3));
}

void TestScheduler::gpusWholeOrSharedByMemory() {
    service::Capacity cap;
    cap.cores = 16;
    cap.gpu_mem_mb = {80000, 80000};
    auto gpu = [](int64_t id, int gpus, int64_t mem) {
        QueueEntry e = waiting(id, 1);
        e.need.gpus = gpus;
        e.need.gpu_mem_mb = mem;
        return e;
    };
    // Three 30 GB trials share GPU 0 two at a time: the third goes to GPU 1.
    std::vector<QueueEntry> q = {gpu(1, 1, 30000), gpu(2, 1, 30000), gpu(3, 1, 30000)};
    service::Plan p = service::plan_queue(q, cap);
    QCOMPARE(p.starts.size(), size_t(3));
    QCOMPARE(p.starts[0].gpus, std::vector<int>{0});
    QCOMPARE(p.starts[1].gpus, std::vector<int>{0});
    QCOMPARE(p.starts[2].gpus, std::vector<int>{1});
    // A whole-GPU run needs a GPU nobody shares; both are shared, so it waits.
    q = {running(1, 1, 0, 1), gpu(2, 1, 0)};
    q[0].need.gpus = 1;
    q[0].need.gpu_mem_mb = 1000;
    q[0].assigned_gpus = {0};
    p = service::plan_queue(q, cap);
    QCOMPARE(p.starts.size(), size_t(1));
    QCOMPARE(p.starts[0].gpus, std::vector<int>{1});
    q.push_back(gpu(3, 1, 0));
    q[1].state = QueueState::Started;
    q[1].assigned_gpus = {1};
    q[1].status = api::RunStatus::Running;
    q[1].owner.host = "here";
    p = service::plan_queue(q, cap);
    QVERIFY(p.starts.empty());
    QCOMPARE(p.blocked, int64_t(3));
    // Named GPUs: exactly those.
    QueueEntry named = waiting(9, 1);
    named.need.gpu_ids = {1};
    named.need.gpu_mem_mb = 10;
    p = service::plan_queue({named}, cap);
    QCOMPARE(p.starts.at(0).gpus, std::vector<int>{1});
}

void TestScheduler::neverFitsNamesTheOption() {
    service::Capacity cap;
    cap.cores = 2;
    storage::QueueResources need;
    need.threads = 3;
    QVERIFY(service::never_fits(need, cap)->find("--threads") != std::string::npos);
    need.threads = 2;
    QVERIFY(!service::never_fits(need, cap));
    need.gpus = 1;
    QVERIFY(service::never_fits(need, cap)->find("--gpus") != std::string::npos);
    need.gpus = 0;
    need.gpu_ids = {3};
    cap.gpu_mem_mb = {1000};
    QVERIFY(service::never_fits(need, cap)->find("--gpu-ids") != std::string::npos);
    need.gpu_ids = {0};
    need.gpu_mem_mb = 2000;
    QVERIFY(service::never_fits(need, cap)->find("--gpu-mem") != std::string::npos);
}

void TestScheduler::schedulerStartsRequeuesAndFinishesWithFakeWorkers() {
    QTemporaryDir dir;
    storage::RunStore store(dir.filePath("q.sqlite").toStdString());
    storage::QueueResources one;
    std::vector<int64_t> ids;
    for (int i = 0; i < 3; ++i)
        ids.push_back(
            store.enqueue_run("r" + std::to_string(i), "gan_mlp", "{}", "{}", 10, one, 0, "s"));
    // A reopened store must not take the waiting rows for dead runs.
    { storage::RunStore again(dir.filePath("q.sqlite").toStdString()); }
    QCOMPARE(store.get_run(ids[0])->status, api::RunStatus::Queued);
    QVERIFY(store.get_run(ids[0])->waiting);

    std::vector<int64_t> spawned;
    service::SchedulerOptions o;
    o.capacity.cores = 2;
    o.max_starts = 2;
    // The fake worker: the scheduler's own pid (alive), and the test plays the run.
    o.spawn = [&](int64_t id, const std::vector<int>&) {
        spawned.push_back(id);
        return static_cast<int64_t>(getpid());
    };
    service::Scheduler s(store, o);
    QVERIFY(!s.lock());
    auto r = s.tick();
    QCOMPARE(spawned, (std::vector<int64_t>{ids[0], ids[1]}));
    QCOMPARE(r.running, 2);
    QCOMPARE(r.waiting, 1);
    // Run 0 claims and completes; run 1's worker claims it and then dies (owner gone).
    store.claim_run(ids[0], false);
    store.set_status(ids[0], api::RunStatus::Running);
    store.set_status(ids[0], api::RunStatus::Completed);
    store.claim_run(ids[1], false);
    store.set_status(ids[1], api::RunStatus::Running);
    store.set_status(ids[1], api::RunStatus::Interrupted);
    r = s.tick();
    QCOMPARE(store.queue_entry(ids[0])->state, QueueState::Done);
    // Run 1 went back to the queue keeping its place (ahead of run 2), and both started.
    QCOMPARE(spawned, (std::vector<int64_t>{ids[0], ids[1], ids[1], ids[2]}));
    QCOMPARE(store.queue_entry(ids[1])->starts, 2);
    // Interrupted again: with max_starts 2 it is given up, noted, and not started a third time.
    store.claim_run(ids[1], false);
    store.set_status(ids[1], api::RunStatus::Running);
    store.set_status(ids[1], api::RunStatus::Interrupted);
    s.tick();
    const auto e1 = store.queue_entry(ids[1]);
    QCOMPARE(e1->state, QueueState::Done);
    QVERIFY(e1->note.find("given up after 2 starts") != std::string::npos);
    QCOMPARE(spawned.size(), size_t(4));
    // Preempting run 2: once stopped it waits again with its preemption counted.
    QVERIFY(store.queue_preempting(ids[2]));
    store.claim_run(ids[2], false);
    store.set_status(ids[2], api::RunStatus::Running);
    store.set_status(ids[2], api::RunStatus::Stopped);
    s.stop_starting();
    r = s.tick();
    const auto e2 = store.queue_entry(ids[2]);
    QCOMPARE(e2->state, QueueState::Waiting);
    QCOMPARE(e2->preemptions, 1);
    QVERIFY(store.get_run(ids[2])->waiting);
    QCOMPARE(r.waiting, 1);
    QCOMPARE(spawned.size(), size_t(4));  // stop_starting: nothing new
}

void TestScheduler::oneSchedulerPerDatabase() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("q.sqlite").toStdString();
    storage::RunStore store(path);
    // A live holder of the lock: the parent process (ctest's), written as if it had taken it.
    {
        storage::RunStore other(path);
        QVERIFY(!other.take_scheduler_lock());
    }
    const storage::ProcessOwner me = storage::current_owner();
    sqlite3* raw = nullptr;
    QCOMPARE(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    const std::string sql = "UPDATE scheduler_lock SET owner_pid = " + std::to_string(getppid());
    QCOMPARE(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    service::Scheduler s(store, {});
    const auto held = s.lock();
    QVERIFY(held);
    QVERIFY2(held->find("pid " + std::to_string(getppid())) != std::string::npos, held->c_str());
    QVERIFY(held->find(me.host) != std::string::npos);
    // A holder that is gone is taken over.
    QCOMPARE(sqlite3_exec(raw, "UPDATE scheduler_lock SET owner_pid = 999999999", nullptr, nullptr,
                          nullptr),
             SQLITE_OK);
    QVERIFY(!s.lock());
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(raw, "SELECT owner_pid FROM scheduler_lock", -1, &q, nullptr);
    QCOMPARE(sqlite3_step(q), SQLITE_ROW);
    QCOMPARE(sqlite3_column_int64(q, 0), static_cast<sqlite3_int64>(getpid()));
    sqlite3_finalize(q);
    s.unlock();
    sqlite3_prepare_v2(raw, "SELECT COUNT(*) FROM scheduler_lock", -1, &q, nullptr);
    QCOMPARE(sqlite3_step(q), SQLITE_ROW);
    QCOMPARE(sqlite3_column_int(q, 0), 0);
    sqlite3_finalize(q);
    sqlite3_close(raw);
}

void TestScheduler::queueOrderPriorityAndCancel() {
    QTemporaryDir dir;
    storage::RunStore store(dir.filePath("q.sqlite").toStdString());
    storage::QueueResources one;
    const int64_t a = store.enqueue_run("a", "m", "{}", "{}", 1, one, 0, "");
    const int64_t b = store.enqueue_run("b", "m", "{}", "{}", 1, one, 0, "");
    const int64_t c = store.enqueue_run("c", "m", "{}", "{}", 1, one, 0, "");
    auto order = [&] {
        std::vector<int64_t> ids;
        for (const auto& e : store.queue_entries(false)) ids.push_back(e.run_id);
        return ids;
    };
    QCOMPARE(order(), (std::vector<int64_t>{a, b, c}));
    store.move_in_queue(c, a);  // drag c before a
    QCOMPARE(order(), (std::vector<int64_t>{c, a, b}));
    store.move_in_queue(c, 0);  // to the end
    QCOMPARE(order(), (std::vector<int64_t>{a, b, c}));
    store.set_queue_priority(b, 3);
    QCOMPARE(order(), (std::vector<int64_t>{b, a, c}));
    QVERIFY_THROWS_EXCEPTION(storage::StorageError, store.set_queue_priority(999, 1));
    const auto before = store.queue_cancel(a);
    QVERIFY(before && before->waiting_run());
    QCOMPARE(store.get_run(a)->status, api::RunStatus::Stopped);
    QCOMPARE(order(), (std::vector<int64_t>{b, c}));
    QVERIFY(!store.queue_cancel(a));  // already out
}

void TestScheduler::sweepExpandsTheGridTimesSeeds() {
    std::string why;
    const auto lr = service::parse_sweep_axis("optim.lr=1e-3,3e-3", &why);
    const auto width = service::parse_sweep_axis("model.width=64,128,256", &why);
    QVERIFY(lr && width);
    const auto m = service::expand_sweep("lrs", {*lr, *width}, 3, 42);
    QCOMPARE(m.size(), size_t(2 * 3 * 3));
    QCOMPARE(m.front().name, std::string("lrs lr=1e-3 width=64 seed=42"));
    QCOMPARE(m.front().sets,
             (std::vector<std::string>{"optim.lr=1e-3", "model.width=64", "train.seed=42"}));
    QCOMPARE(m.back().name, std::string("lrs lr=3e-3 width=256 seed=44"));
    // Every member differs.
    std::set<std::string> names;
    for (const auto& x : m) names.insert(x.name);
    QCOMPARE(names.size(), m.size());
    // No axes and one seed: the run itself.
    const auto plain = service::expand_sweep("x", {}, 1, 42);
    QCOMPARE(plain.size(), size_t(1));
    QVERIFY(plain[0].sets.empty());
}

void TestScheduler::sweepAxisErrors() {
    std::string why;
    QVERIFY(!service::parse_sweep_axis("optim.lr", &why));
    QVERIFY(why.find("KEY=V1,V2") != std::string::npos);
    QVERIFY(!service::parse_sweep_axis("optim.lr=1,,2", &why));
    QVERIFY(why.find("empty value") != std::string::npos);
    QVERIFY(!service::parse_sweep_axis("optim.lr=1,1", &why));
    QVERIFY(why.find("twice") != std::string::npos);
}

void TestScheduler::groupStatAndBandMatchHandValues() {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sum of squares 32, sample sd sqrt(32/7).
    const auto s = service::group_stat({2, 4, 4, 4, 5, 5, 7, 9, std::nan("")});
    QCOMPARE(s.n, 8);
    QCOMPARE(s.mean, 5.0);
    QVERIFY(std::abs(s.sd - std::sqrt(32.0 / 7.0)) < 1e-12);
    QCOMPARE(s.min, 2.0);
    QCOMPARE(s.max, 9.0);
    QCOMPARE(service::group_stat({3.5}).sd, 0.0);
    // Steps every member has: 10 and 20 (30 only in one).
    const auto band =
        service::group_band({{{10, 1.0}, {20, 2.0}, {30, 9.0}}, {{10, 3.0}, {20, 6.0}}});
    QCOMPARE(band.size(), size_t(2));
    QCOMPARE(band[0].step, int64_t(10));
    QCOMPARE(band[0].stat.mean, 2.0);
    QVERIFY(std::abs(band[0].stat.sd - std::sqrt(2.0)) < 1e-12);
    QCOMPARE(band[1].stat.mean, 4.0);
    QCOMPARE(band[1].stat.max, 6.0);
}

QTEST_GUILESS_MAIN(TestScheduler)
#include "test_scheduler.moc"
