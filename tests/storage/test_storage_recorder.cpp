// Recorder: events recorded on one connection are visible through RunStore after flush(),
// repeated steps overwrite, batching and shutdown keep every event, a database locked by another
// writer delays events without losing them, and ingest is fast.
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include <nlohmann/json.hpp>

#include "storage/recorder.h"
#include "storage/run_store.h"
#include "tests/storage/sqlite_peek.h"

using wb::api::RunEvent;
using wb::api::RunStatus;
using wb::storage::Recorder;
using wb::storage::RecorderOptions;
using wb::storage::RunStore;
using wb::storage::test::RawDb;

class TestStorageRecorder final : public QObject {
    Q_OBJECT

private slots:
    void init();
    void roundTrip();
    void statusEventsDriveTheRunRow();
    void repeatedStepsAreReplaced();
    void lastMetricsGivesHighestStepOfEach();
    void metricsAfterReturnsOnlyNewPoints();
    void nanSurvives();
    void destructorCommitsEverything();
    void batchesAreCombined();
    void fullQueueCommitsEarly();
    void lockedDatabaseDropsBatchAndRecovers();
    void lockedDatabaseHoldsEventsUntilItIsFree();
    void heldEventsAreBoundedKeepingStatuses();
    void abandonGivesUpOnHeldEvents();
    void ingestsMillionPoints();
    void attributesJoinTheEnvironment();

private:
    std::string db_path() const { return m_dir->filePath("runs.sqlite").toStdString(); }

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestStorageRecorder::init() {
    m_dir = std::make_unique<QTemporaryDir>();
}

void TestStorageRecorder::roundTrip() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "gan_mlp", "{}", "{}", 100, "/ckpt");
    const std::string png("\x89PNG\r\n\x1a\n\0\0binary", 16);  // the literal without its NUL
    Recorder recorder(db_path());
    recorder.record({RunEvent::metric(id, 1, 0.5, "loss/g", 2.0),
                     RunEvent::metric(id, 1, 0.5, "loss/d", 1.0),
                     RunEvent::metric(id, 2, 1.0, "loss/g", 1.5),
                     RunEvent::sample(id, 2, 1.0, wb::api::kSamplePng, png),
                     RunEvent::log(id, 2, 1.0, "warning", "lr is high")});
    recorder.record({RunEvent::sample(id, 3, 1.5, wb::api::kSampleText, "once upon"),
                     RunEvent::log(id, 3, 1.5, "info", "checkpoint saved"),
                     RunEvent::checkpoint(id, 3, 1.5, "/ckpt/step3.pt")});
    recorder.flush();

    QCOMPARE(store.metric_names(id), (std::vector<std::string>{"loss/d", "loss/g"}));
    const auto g = store.metrics(id, "loss/g");
    QCOMPARE(g.size(), std::size_t(2));
    QCOMPARE(g[0].step, int64_t(1));
    QCOMPARE(g[0].value, 2.0);
    QCOMPARE(g[1].step, int64_t(2));
    QCOMPARE(g[1].wall_s, 1.0);
    QCOMPARE(g[1].value, 1.5);
    QVERIFY(store.metrics(id, "no/such").empty());

    const auto all = store.samples(id);
    QCOMPARE(all.size(), std::size_t(2));
    QCOMPARE(all[0].data, png);
    QCOMPARE(all[0].kind, std::string(wb::api::kSamplePng));
    QCOMPARE(all[0].run_id, id);
    QCOMPARE(store.samples(id, wb::api::kSampleText).size(), std::size_t(1));
    QCOMPARE(store.latest_sample(id)->data, std::string("once upon"));
    QCOMPARE(store.latest_sample(id, wb::api::kSamplePng)->step, int64_t(2));
    QVERIFY(!store.latest_sample(id, wb::api::kSamplePoints).has_value());

    const auto logs = store.logs(id);
    QCOMPARE(logs.size(), std::size_t(2));
    QCOMPARE(logs[0].level, std::string("warning"));
    QCOMPARE(logs[0].text, std::string("lr is high"));
    QCOMPARE(logs[1].step, int64_t(3));

    QCOMPARE(store.latest_checkpoint(id)->path, std::string("/ckpt/step3.pt"));
    QCOMPARE(store.latest_checkpoint(id)->step, int64_t(3));
    QVERIFY(!store.latest_checkpoint(id + 1).has_value());

    const auto row = store.get_run(id);
    QCOMPARE(row->steps_done, int64_t(3));
    QCOMPARE(row->wall_s, 1.5);
    QCOMPARE(recorder.stats().events, uint64_t(8));
    QVERIFY(recorder.last_error().empty());
}

void TestStorageRecorder::statusEventsDriveTheRunRow() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "vae", "{}", "{}", 100, "");
    Recorder recorder(db_path());

    recorder.record({RunEvent::status_change(id, 0, 0, RunStatus::Running)});
    recorder.flush();
    auto row = store.get_run(id);
    QCOMPARE(row->status, wb::api::RunStatus::Running);
    QVERIFY(row->started_at > 0);
    const double started = row->started_at;

    recorder.record({RunEvent::status_change(id, 40, 4.0, RunStatus::Paused)});
    recorder.flush();
    QCOMPARE(store.get_run(id)->status, wb::api::RunStatus::Paused);
    QCOMPARE(store.get_run(id)->steps_done, int64_t(40));

    recorder.record({RunEvent::status_change(id, 40, 4.0, RunStatus::Running),
                     RunEvent::status_change(id, 100, 9.0, RunStatus::Completed, "done")});
    recorder.flush();
    row = store.get_run(id);
    QCOMPARE(row->status, wb::api::RunStatus::Completed);
    QCOMPARE(row->started_at, started);
    QVERIFY(row->ended_at >= started);
    QCOMPARE(row->steps_done, int64_t(100));
    QCOMPARE(row->wall_s, 9.0);
    QVERIFY(row->error.empty());

    const int64_t failing = store.create_run("f", "vae", "{}", "{}", 100, "");
    recorder.record(
        {RunEvent::status_change(failing, 12, 1.0, RunStatus::Failed,
                                 "no such file: data/train.txt", wb::api::FailureKind::Data)});
    recorder.flush();
    row = store.get_run(failing);
    QCOMPARE(row->status, wb::api::RunStatus::Failed);
    QCOMPARE(row->error, std::string("no such file: data/train.txt"));
    QCOMPARE(row->failure, wb::api::FailureKind::Data);
    QVERIFY(row->ended_at > 0);
}

void TestStorageRecorder::repeatedStepsAreReplaced() {
    RunStore store(db_path());
    const int64_t id = store.create_run("resumed", "vae", "{}", "{}", 10, "");
    Recorder recorder(db_path());
    std::vector<RunEvent> first;
    for (int step = 1; step <= 10; ++step)
        first.push_back(RunEvent::metric(id, step, step, "loss", step));
    recorder.record(std::move(first));
    recorder.flush();
    // Resumed from a checkpoint at step 5: steps 6..8 are trained again.
    std::vector<RunEvent> again;
    for (int step = 6; step <= 8; ++step)
        again.push_back(RunEvent::metric(id, step, 100 + step, "loss", -step));
    recorder.record(std::move(again));
    recorder.flush();

    const auto points = store.metrics(id, "loss");
    QCOMPARE(points.size(), std::size_t(10));
    for (const auto& p : points) {
        const bool redone = p.step >= 6 && p.step <= 8;
        QCOMPARE(p.value, redone ? -double(p.step) : double(p.step));
        QCOMPARE(p.wall_s, redone ? 100.0 + p.step : double(p.step));
    }
    QCOMPARE(store.get_run(id)->steps_done, int64_t(10));
}

void TestStorageRecorder::lastMetricsGivesHighestStepOfEach() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "vae", "{}", "{}", 10, "");
    const int64_t other = store.create_run("other", "vae", "{}", "{}", 10, "");
    Recorder recorder(db_path());
    // Out of order on purpose: "last" means the highest step, not the last written.
    recorder.record({RunEvent::metric(id, 5, 0.5, "loss/g", 0.3),
                     RunEvent::metric(id, 9, 0.9, "loss/g", 0.1),
                     RunEvent::metric(id, 7, 0.7, "loss/g", 0.2),
                     RunEvent::metric(id, 3, 0.3, "quality/fid", 40.0),
                     RunEvent::metric(other, 50, 5.0, "loss/g", 9.0),
                     RunEvent::metric(other, 50, 5.0, "lr", 1e-3)});
    recorder.flush();

    const auto last = store.last_metrics(id);
    QCOMPARE(last.size(), std::size_t(2));
    QCOMPARE(last.at("loss/g").step, int64_t(9));
    QCOMPARE(last.at("loss/g").value, 0.1);
    QCOMPARE(last.at("loss/g").wall_s, 0.9);
    QCOMPARE(last.at("quality/fid").value, 40.0);
    QVERIFY(last.find("lr") == last.end());
    QCOMPARE(store.metric_names(id), (std::vector<std::string>{"loss/g", "quality/fid"}));
    QVERIFY(store.last_metrics(other + 1).empty());
}

void TestStorageRecorder::metricsAfterReturnsOnlyNewPoints() {
    RunStore store(db_path());
    const int64_t id = store.create_run("live", "vae", "{}", "{}", 10, "");
    Recorder recorder(db_path());
    std::vector<RunEvent> events;
    for (int step = 0; step < 10; ++step) {
        events.push_back(RunEvent::metric(id, step, step, "loss", 10 - step));
        events.push_back(RunEvent::metric(id, step, step, "lr", 0.1));
    }
    recorder.record(std::move(events));
    recorder.flush();

    const auto fresh = store.metrics_after(id, "loss", 6);
    QCOMPARE(fresh.size(), std::size_t(3));
    QCOMPARE(fresh.front().step, int64_t(7));
    QCOMPARE(fresh.back().value, 1.0);
    QVERIFY(store.metrics_after(id, "loss", 9).empty());
    QCOMPARE(store.metrics_after(id, "loss", -1).size(), std::size_t(10));
    QCOMPARE(store.metrics(id, "loss").size(), std::size_t(10));
}

void TestStorageRecorder::nanSurvives() {
    RunStore store(db_path());
    const int64_t id = store.create_run("diverged", "vae", "{}", "{}", 10, "");
    Recorder recorder(db_path());
    recorder.record(
        {RunEvent::metric(id, 1, 0.1, "loss", std::numeric_limits<double>::quiet_NaN()),
         RunEvent::metric(id, 2, 0.2, "loss", std::numeric_limits<double>::infinity())});
    recorder.flush();
    const auto points = store.metrics(id, "loss");
    QCOMPARE(points.size(), std::size_t(2));
    QVERIFY(std::isnan(points[0].value));
    QVERIFY(std::isinf(points[1].value));
}

void TestStorageRecorder::destructorCommitsEverything() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "vae", "{}", "{}", 10, "");
    QElapsedTimer timer;
    timer.start();
    {
        // An interval far longer than the test: only the destructor can have written these.
        Recorder recorder(db_path(), RecorderOptions{60000, 1000000});
        for (int step = 1; step <= 500; ++step)
            recorder.record({RunEvent::metric(id, step, step * 0.01, "loss", 1.0 / step)});
        recorder.record({RunEvent::status_change(id, 500, 5.0, RunStatus::Completed)});
    }
    QVERIFY2(timer.elapsed() < 10000, "the destructor waited for the commit interval");
    QCOMPARE(store.metrics(id, "loss").size(), std::size_t(500));
    QCOMPARE(store.get_run(id)->status, wb::api::RunStatus::Completed);
    QCOMPARE(store.get_run(id)->steps_done, int64_t(500));
}

void TestStorageRecorder::batchesAreCombined() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "vae", "{}", "{}", 10, "");
    Recorder recorder(db_path(), RecorderOptions{60000, 1000000});
    for (int step = 1; step <= 100; ++step)
        recorder.record({RunEvent::metric(id, step, step, "loss", step)});
    recorder.flush();
    const auto stats = recorder.stats();
    QCOMPARE(stats.events, uint64_t(100));
    // The first event after a quiet spell goes out at once; the rest wait for flush().
    QVERIFY2(stats.commits <= 2, qPrintable(QString::number(stats.commits)));
    QCOMPARE(store.metrics(id, "loss").size(), std::size_t(100));
}

void TestStorageRecorder::fullQueueCommitsEarly() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "vae", "{}", "{}", 10, "");
    Recorder recorder(db_path(), RecorderOptions{60000, 100});
    recorder.record({RunEvent::metric(id, 0, 0, "loss", 0)});
    QTRY_COMPARE_WITH_TIMEOUT(recorder.stats().events, uint64_t(1), 5000);
    std::vector<RunEvent> many;
    for (int step = 1; step <= 250; ++step)
        many.push_back(RunEvent::metric(id, step, step, "loss", step));
    recorder.record(std::move(many));
    // No flush(): max_batch_rows alone must trigger the commit long before the interval.
    QTRY_COMPARE_WITH_TIMEOUT(recorder.stats().events, uint64_t(251), 5000);
    QCOMPARE(store.metrics(id, "loss").size(), std::size_t(251));
}

void TestStorageRecorder::lockedDatabaseDropsBatchAndRecovers() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "vae", "{}", "{}", 10, "");
    RecorderOptions no_retry;
    no_retry.retry_for_ms = 0;
    Recorder recorder(db_path(), no_retry);
    {
        RawDb blocker(db_path());
        blocker.exec("BEGIN IMMEDIATE");
        recorder.record({RunEvent::metric(id, 1, 0.1, "loss", 1.0)});
        recorder.flush();  // waits out the 5 s busy timeout, then gives up on the batch
        blocker.exec("ROLLBACK");
    }
    QCOMPARE(recorder.stats().dropped, uint64_t(1));
    const QString error = QString::fromStdString(recorder.last_error());
    QVERIFY2(error.contains(QString::fromStdString(db_path())), qPrintable(error));
    QVERIFY2(error.contains("locked"), qPrintable(error));

    recorder.record({RunEvent::metric(id, 2, 0.2, "loss", 2.0)});
    recorder.flush();
    const auto points = store.metrics(id, "loss");
    QCOMPARE(points.size(), std::size_t(1));
    QCOMPARE(points[0].step, int64_t(2));
    QCOMPARE(recorder.stats().events, uint64_t(1));
}

namespace {

// Another program's write transaction, held on a thread of its own for `hold_ms` (longer than
// the 5 s busy timeout) and then rolled back.
class LockHolder {
public:
    LockHolder(const std::string& path, int hold_ms) : m_db(path) {
        m_db.exec("BEGIN IMMEDIATE");
        m_thread = std::thread([this, hold_ms] {
            std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
            m_db.exec("ROLLBACK");
        });
    }
    ~LockHolder() { m_thread.join(); }

private:
    RawDb m_db;
    std::thread m_thread;
};

}  // namespace

// Issue 20: a run's batches were dropped when another writer held the lock past the busy
// timeout, and the run still ended "completed" over the missing rows.
void TestStorageRecorder::lockedDatabaseHoldsEventsUntilItIsFree() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "vae", "{}", "{}", 300, "");
    Recorder recorder(db_path());
    QElapsedTimer timer;
    timer.start();
    {
        LockHolder blocker(db_path(), 8000);
        recorder.record({RunEvent::status_change(id, 0, 0, RunStatus::Running)});
        for (int step = 1; step <= 300; ++step)
            recorder.record({RunEvent::metric(id, step, step * 0.01, "loss", 1.0 / step)});
        recorder.record({RunEvent::checkpoint(id, 300, 3.0, "/ckpt/ckpt-300.pt"),
                         RunEvent::status_change(id, 300, 3.0, RunStatus::Completed)});
        QTRY_VERIFY_WITH_TIMEOUT(recorder.stats().retries >= 1, 10000);
        QVERIFY(recorder.stats().held >= 300);
        QVERIFY2(QString::fromStdString(recorder.retry_error()).contains("locked"),
                 recorder.retry_error().c_str());
        recorder.flush();
    }
    QVERIFY2(timer.elapsed() >= 8000, "flush() returned while the database was still locked");
    const auto stats = recorder.stats();
    QCOMPARE(stats.dropped, uint64_t(0));
    QCOMPARE(stats.events, uint64_t(303));
    QCOMPARE(stats.held, uint64_t(0));
    QVERIFY(recorder.last_error().empty());
    QVERIFY(recorder.retry_error().empty());
    const auto points = store.metrics(id, "loss");
    QCOMPARE(points.size(), std::size_t(300));
    QCOMPARE(points.back().step, int64_t(300));
    const auto row = store.get_run(id);
    QCOMPARE(row->status, RunStatus::Completed);
    QCOMPARE(row->steps_done, int64_t(300));
    QCOMPARE(store.latest_checkpoint(id)->step, int64_t(300));
}

// A caller that has waited long enough (the CLI, on a full disk) gives up on what is held: those
// events count as dropped with the cause, nothing waits any more, and the next commit works.
void TestStorageRecorder::abandonGivesUpOnHeldEvents() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "vae", "{}", "{}", 100, "");
    Recorder recorder(db_path());
    QVERIFY(!recorder.held_for_lock());
    {
        LockHolder blocker(db_path(), 14000);
        for (int step = 1; step <= 100; ++step)
            recorder.record({RunEvent::metric(id, step, step * 0.01, "loss", 1.0)});
        QTRY_VERIFY_WITH_TIMEOUT(recorder.stats().retries >= 1, 10000);
        QVERIFY(recorder.held_for_lock());
        QElapsedTimer timer;
        timer.start();
        recorder.abandon();
        QVERIFY2(timer.elapsed() < 8000, "abandon() waited for the lock");
        QCOMPARE(recorder.stats().dropped, uint64_t(100));
        QCOMPARE(recorder.stats().held, uint64_t(0));
        QVERIFY2(QString::fromStdString(recorder.last_error()).contains("locked"),
                 recorder.last_error().c_str());
    }
    recorder.record({RunEvent::metric(id, 101, 1.01, "loss", 1.0)});
    recorder.flush();
    const auto points = store.metrics(id, "loss");
    QCOMPARE(points.size(), std::size_t(1));
    QCOMPARE(points[0].step, int64_t(101));
    QCOMPARE(recorder.stats().dropped, uint64_t(100));
}

// While commits fail the held events are capped: the oldest metric points go first, and the
// statuses and checkpoint rows that make the run's history readable are kept.
void TestStorageRecorder::heldEventsAreBoundedKeepingStatuses() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "vae", "{}", "{}", 100, "");
    RecorderOptions options;
    options.max_held_rows = 40;
    Recorder recorder(db_path(), options);
    {
        LockHolder blocker(db_path(), 7000);
        recorder.record({RunEvent::status_change(id, 0, 0, RunStatus::Running)});
        for (int step = 1; step <= 100; ++step)
            recorder.record({RunEvent::metric(id, step, step * 0.01, "loss", step)});
        recorder.record({RunEvent::checkpoint(id, 100, 1.0, "/ckpt/ckpt-100.pt"),
                         RunEvent::status_change(id, 100, 1.0, RunStatus::Completed)});
        recorder.flush();
    }
    const auto stats = recorder.stats();
    QCOMPARE(stats.events + stats.dropped, uint64_t(103));
    QVERIFY2(stats.events <= 40, qPrintable(QString::number(stats.events)));
    const QString error = QString::fromStdString(recorder.last_error());
    QVERIFY2(error.contains("dropped") && error.contains("locked"), qPrintable(error));
    const auto points = store.metrics(id, "loss");
    QCOMPARE(points.size(), std::size_t(stats.events - 3));
    QCOMPARE(points.back().step, int64_t(100));  // the newest points survive
    QCOMPARE(store.get_run(id)->status, RunStatus::Completed);
    QCOMPARE(store.latest_checkpoint(id)->step, int64_t(100));
}

void TestStorageRecorder::ingestsMillionPoints() {
    RunStore store(db_path());
    const int64_t id = store.create_run("fast", "gan_mlp", "{}", "{}", 250000, "");
    const char* names[] = {"loss/g", "loss/d", "throughput/samples_per_s", "lr"};
    constexpr int kSteps = 250000;
    constexpr int kStepsPerDrain = 2500;  // what a 30 Hz drain of a fast run hands over

    // Built up front so the timing covers only what the Recorder does with them.
    std::vector<std::vector<RunEvent>> drains;
    for (int first = 0; first < kSteps; first += kStepsPerDrain) {
        std::vector<RunEvent> drain;
        drain.reserve(kStepsPerDrain * 4);
        for (int step = first; step < first + kStepsPerDrain; ++step)
            for (const char* name : names)
                drain.push_back(RunEvent::metric(id, step, step * 1e-3, name, step * 0.5));
        drains.push_back(std::move(drain));
    }

    Recorder recorder(db_path());
    QElapsedTimer timer;
    timer.start();
    for (auto& drain : drains) recorder.record(std::move(drain));
    recorder.flush();
    const double seconds = timer.nsecsElapsed() / 1e9;
    qInfo("ingest: %d metric points in %.3f s = %.0f points/s, %llu commits", kSteps * 4, seconds,
          kSteps * 4 / seconds, static_cast<unsigned long long>(recorder.stats().commits));

    QCOMPARE(recorder.stats().events, uint64_t(kSteps) * 4);
    QCOMPARE(recorder.stats().dropped, uint64_t(0));
    // No transaction may exceed max_batch_rows (20000, two drains) even with the whole backlog
    // queued at once.
    QVERIFY(recorder.stats().commits >= uint64_t(kSteps) * 4 / 20000);
    const auto lr = store.metrics(id, "lr");
    QCOMPARE(lr.size(), std::size_t(kSteps));
    QCOMPARE(lr.back().step, int64_t(kSteps - 1));
    QCOMPARE(lr.back().value, (kSteps - 1) * 0.5);
    QCOMPARE(store.get_run(id)->steps_done, int64_t(kSteps - 1));
    RawDb raw(db_path());
    QCOMPARE(raw.count("SELECT COUNT(*) FROM metrics"), 4LL * kSteps);
}

// A fact learnt while training (which FID extractor measured the run) joins the run's
// environment JSON under its key, next to what the launcher recorded; a later value replaces it.
void TestStorageRecorder::attributesJoinTheEnvironment() {
    RunStore store(db_path());
    const int64_t id =
        store.create_run("r", "dcgan", "{}", R"({"device":"cpu","torch":"1.13"})", 10, "");
    const int64_t broken = store.create_run("b", "dcgan", "{}", "not json", 10, "");
    Recorder recorder(db_path());
    recorder.record({RunEvent::attribute(id, 5, 1.0, "fid_extractor", R"({"checksum":"aa"})"),
                     RunEvent::attribute(broken, 5, 1.0, "fid_extractor", R"({"checksum":"bb"})")});
    recorder.record({RunEvent::attribute(id, 9, 2.0, "fid_extractor", R"({"checksum":"cc"})")});
    recorder.flush();
    const auto env = nlohmann::json::parse(store.get_run(id)->env_json);
    QCOMPARE(env["device"].get<std::string>(), std::string("cpu"));
    QCOMPARE(env["fid_extractor"]["checksum"].get<std::string>(), std::string("cc"));
    const auto fixed = nlohmann::json::parse(store.get_run(broken)->env_json);
    QCOMPARE(fixed["fid_extractor"]["checksum"].get<std::string>(), std::string("bb"));
}

QTEST_GUILESS_MAIN(TestStorageRecorder)
#include "test_storage_recorder.moc"
