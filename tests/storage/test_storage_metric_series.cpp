// Packed metric series: written when a run finishes, equal to the rows bit for bit (after-step
// queries included), dropped by new rows and by deleting the run, built on first read for runs
// of older files, and never trusted when damaged.
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <limits>

#include "storage/metric_series.h"
#include "storage/recorder.h"
#include "storage/run_store.h"
#include "tests/storage/sqlite_peek.h"

using wb::api::RunEvent;
using wb::api::RunStatus;
using wb::storage::MetricPoint;
using wb::storage::Recorder;
using wb::storage::RunStore;
using wb::storage::test::RawDb;

namespace {

constexpr int64_t kAll = std::numeric_limits<int64_t>::min();

// Steps 3, 6, ... with a gap, and a NaN value, as a diverged run stores them.
std::vector<MetricPoint> expected_points(int n, double offset) {
    std::vector<MetricPoint> points;
    for (int i = 1; i <= n; ++i) {
        const int64_t step = 3 * i + (i > n / 2 ? 100 : 0);
        const double value = i == 7 ? std::numeric_limits<double>::quiet_NaN()
                                    : offset + 1.0 / (1.0 + i) + 1e-13 * i;
        points.push_back(MetricPoint{step, 0.001 * step + 1e-9, value});
    }
    return points;
}

std::vector<RunEvent> metric_events(int64_t run, const std::string& name,
                                    const std::vector<MetricPoint>& points) {
    std::vector<RunEvent> events;
    for (const MetricPoint& p : points)
        events.push_back(RunEvent::metric(run, p.step, p.wall_s, name, p.value));
    return events;
}

bool same_bits(const std::vector<MetricPoint>& a, const std::vector<MetricPoint>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].step != b[i].step || std::memcmp(&a[i].wall_s, &b[i].wall_s, 8) != 0 ||
            std::memcmp(&a[i].value, &b[i].value, 8) != 0)
            return false;
    return true;
}

std::vector<MetricPoint> after(const std::vector<MetricPoint>& points, int64_t step) {
    std::vector<MetricPoint> out;
    for (const MetricPoint& p : points)
        if (p.step > step) out.push_back(p);
    return out;
}

}  // namespace

class TestStorageMetricSeries final : public QObject {
    Q_OBJECT

private slots:
    void init();
    void blobFormatIsLittleEndianStepWallValue();
    void packedEqualsRowsIncludingAfterStep();
    void writtenWhenRecorderFinishesRun();
    void writtenWhenStatusSetFinal();
    void newRowsDropThePackedCopy();
    void deleteRunRemovesPackedSeries();
    void oldFileIsMigratedAndPackedOnFirstRead();
    void damagedBlobFallsBackToRowsAndIsRepaired();
    void damagedBlobOfLiveRunReadsRows();
    void firstReadNeverWaitsForAWriter();

private:
    std::string db_path() const { return m_dir->filePath("runs.sqlite").toStdString(); }
    /// A run recorded through the Recorder with "loss/g" and "loss/d", finished with `end`.
    int64_t recorded_run(RunStatus end);
    long long packed_count(int64_t run) {
        RawDb raw(db_path());
        return raw.count("SELECT COUNT(*) FROM metric_series WHERE run_id = " +
                         std::to_string(run));
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::vector<MetricPoint> m_g = expected_points(40, 0.0);
    std::vector<MetricPoint> m_d = expected_points(25, 5.0);
};

void TestStorageMetricSeries::init() {
    m_dir = std::make_unique<QTemporaryDir>();
}

int64_t TestStorageMetricSeries::recorded_run(RunStatus end) {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "gan_mlp", "{}", "{}", 300, "");
    Recorder recorder(db_path());
    recorder.record({RunEvent::status_change(id, 0, 0, RunStatus::Running)});
    recorder.record(metric_events(id, "loss/g", m_g));
    // The final status in the same batch as the last points, as a run's last drain sends it.
    auto last = metric_events(id, "loss/d", m_d);
    last.push_back(RunEvent::status_change(id, m_g.back().step, 1.0, end));
    recorder.record(std::move(last));
    recorder.flush();
    return id;
}

void TestStorageMetricSeries::blobFormatIsLittleEndianStepWallValue() {
    const std::string bytes =
        wb::storage::pack_points({MetricPoint{0x0102030405060708, 1.0, -2.0}});
    // 1.0 = 0x3FF0000000000000, -2.0 = 0xC000000000000000, each least significant byte first.
    const unsigned char want[24] = {8, 7, 6,    5,    4, 3, 2, 1, 0, 0, 0, 0,
                                    0, 0, 0xF0, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0xC0};
    QCOMPARE(bytes.size(), std::size_t(24));
    QVERIFY(std::memcmp(bytes.data(), want, 24) == 0);
    const auto back =
        wb::storage::unpack_points(bytes.data(), bytes.size(), 1, 0x0102030405060708, kAll);
    QVERIFY(back && same_bits(*back, {MetricPoint{0x0102030405060708, 1.0, -2.0}}));
    // Wrong count or max_step: not trusted.
    QVERIFY(!wb::storage::unpack_points(bytes.data(), bytes.size(), 2, 0x0102030405060708, kAll));
    QVERIFY(!wb::storage::unpack_points(bytes.data(), bytes.size(), 1, 5, kAll));
    QVERIFY(!wb::storage::unpack_points(bytes.data(), 23, 1, 0x0102030405060708, kAll));
}

void TestStorageMetricSeries::packedEqualsRowsIncludingAfterStep() {
    const int64_t id = recorded_run(RunStatus::Completed);
    QCOMPARE(packed_count(id), 2LL);
    RunStore store(db_path());
    const auto packed_g = store.metrics(id, "loss/g");
    QVERIFY(same_bits(packed_g, m_g));
    QVERIFY(std::isnan(packed_g[6].value));
    QVERIFY(same_bits(store.metrics(id, "loss/d"), m_d));
    const std::vector<int64_t> afters = {
        kAll, -1, 0, 3, 4, 60, 61, m_g.back().step - 1, m_g.back().step, m_g.back().step + 1000};
    std::vector<std::vector<MetricPoint>> packed_after;
    for (int64_t a : afters) packed_after.push_back(store.metrics_after(id, "loss/g", a));

    // The same queries on the rows: make the run look live (so nothing is packed again) and
    // drop its packed copy behind the store's back.
    {
        RawDb raw(db_path());
        raw.exec("UPDATE runs SET status = 'running' WHERE id = " + std::to_string(id));
        raw.exec("DELETE FROM metric_series");
    }
    QVERIFY(same_bits(store.metrics(id, "loss/g"), packed_g));
    for (std::size_t i = 0; i < afters.size(); ++i) {
        const auto rows = store.metrics_after(id, "loss/g", afters[i]);
        QVERIFY2(same_bits(rows, packed_after[i]), qPrintable(QString::number(afters[i])));
        QVERIFY(same_bits(rows, after(m_g, afters[i])));
    }
    QCOMPARE(packed_count(id), 0LL);
    QVERIFY(store.metrics(id, "no/such").empty());
    QVERIFY(store.metrics(id + 1, "loss/g").empty());
}

void TestStorageMetricSeries::writtenWhenRecorderFinishesRun() {
    for (RunStatus end : {RunStatus::Completed, RunStatus::Stopped, RunStatus::Failed}) {
        const int64_t id = recorded_run(end);
        RawDb raw(db_path());
        const std::string where =
            " FROM metric_series s JOIN metric_names n ON n.id = s.name_id "
            "WHERE n.name = 'loss/g' AND s.run_id = " +
            std::to_string(id);
        QCOMPARE(raw.count("SELECT count" + where), static_cast<long long>(m_g.size()));
        QCOMPARE(raw.count("SELECT max_step" + where), static_cast<long long>(m_g.back().step));
        QCOMPARE(raw.count("SELECT length(data)" + where), static_cast<long long>(24 * m_g.size()));
        QCOMPARE(packed_count(id), 2LL);
    }
}

void TestStorageMetricSeries::writtenWhenStatusSetFinal() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "gpt", "{}", "{}", 300, "");
    {
        Recorder recorder(db_path());
        recorder.record(metric_events(id, "loss/g", m_g));
        recorder.flush();
    }
    store.set_status(id, wb::api::RunStatus::Running);
    store.set_status(id, wb::api::RunStatus::Paused);
    QCOMPARE(packed_count(id), 0LL);  // live runs read rows
    store.set_status(id, wb::api::RunStatus::Stopped);
    QCOMPARE(packed_count(id), 1LL);
    QVERIFY(same_bits(store.metrics(id, "loss/g"), m_g));
}

void TestStorageMetricSeries::newRowsDropThePackedCopy() {
    const int64_t id = recorded_run(RunStatus::Stopped);
    RunStore store(db_path());
    Recorder recorder(db_path());
    // A resume from step 30 rewrites the steps after it.
    recorder.record({RunEvent::status_change(id, 30, 0, RunStatus::Running),
                     RunEvent::metric(id, 33, 9.0, "loss/g", -1.0)});
    recorder.flush();
    QCOMPARE(packed_count(id), 0LL);
    auto want = m_g;
    for (MetricPoint& p : want)
        if (p.step == 33) p = MetricPoint{33, 9.0, -1.0};
    QVERIFY(same_bits(store.metrics(id, "loss/g"), want));
    QCOMPARE(packed_count(id), 0LL);  // still running: nothing packed on read

    recorder.record({RunEvent::status_change(id, 400, 10, RunStatus::Completed)});
    recorder.flush();
    QCOMPARE(packed_count(id), 2LL);
    QVERIFY(same_bits(store.metrics(id, "loss/g"), want));
    QVERIFY(same_bits(store.metrics(id, "loss/d"), m_d));
}

void TestStorageMetricSeries::deleteRunRemovesPackedSeries() {
    const int64_t a = recorded_run(RunStatus::Completed);
    const int64_t b = recorded_run(RunStatus::Completed);
    RunStore store(db_path());
    QVERIFY(store.delete_run(a));
    QCOMPARE(packed_count(a), 0LL);
    QCOMPARE(packed_count(b), 2LL);
    QVERIFY(store.metrics(a, "loss/g").empty());
    QVERIFY(same_bits(store.metrics(b, "loss/g"), m_g));
}

void TestStorageMetricSeries::oldFileIsMigratedAndPackedOnFirstRead() {
    const int64_t id = recorded_run(RunStatus::Completed);
    {
        // What a file written before packed series looks like: schema 1, no such table.
        RawDb raw(db_path());
        raw.exec(
            "DROP TABLE metric_series; DROP TABLE queue; DROP TABLE scheduler_lock; "
            "PRAGMA user_version = 1;");
    }
    RunStore store(db_path());
    RawDb raw(db_path());
    QCOMPARE(raw.scalar("PRAGMA user_version"), std::string("4"));
    QCOMPARE(packed_count(id), 0LL);
    QVERIFY(same_bits(store.metrics_after(id, "loss/g", 60), after(m_g, 60)));
    QCOMPARE(packed_count(id), 1LL);  // the whole series, whatever the query asked for
    QVERIFY(same_bits(store.metrics(id, "loss/g"), m_g));
    QVERIFY(same_bits(store.metrics(id, "loss/d"), m_d));
    QCOMPARE(packed_count(id), 2LL);
}

void TestStorageMetricSeries::damagedBlobFallsBackToRowsAndIsRepaired() {
    const int64_t id = recorded_run(RunStatus::Completed);
    RunStore store(db_path());
    const char* damage[] = {
        "data = substr(data, 1, length(data) - 5)",  // cut short
        "data = x''",                                // emptied
        "count = count + 1",                         // count disagrees
        "count = 0",                                 //
        "count = -3",                                //
        "max_step = max_step + 1",                   // last step disagrees
        "data = substr(data, 25, 24) || substr(data, 1, 24) || substr(data, 49)",  // out of order
        "data = zeroblob(length(data))",                                           // zeroed sectors
        "data = 'not a blob at all'",                                              // wrong type
    };
    for (const char* d : damage) {
        {
            RawDb raw(db_path());
            raw.exec(std::string("UPDATE metric_series SET ") + d);
        }
        QVERIFY2(same_bits(store.metrics(id, "loss/g"), m_g), d);
        QVERIFY2(same_bits(store.metrics_after(id, "loss/d", 50), after(m_d, 50)), d);
        RawDb raw(db_path());
        QVERIFY2(raw.count("SELECT COUNT(*) FROM metric_series WHERE length(data) = 24 * count "
                           "AND count > 0") == 2,
                 d);
    }
}

void TestStorageMetricSeries::damagedBlobOfLiveRunReadsRows() {
    const int64_t id = recorded_run(RunStatus::Completed);
    {
        RawDb raw(db_path());
        raw.exec("UPDATE runs SET status = 'running'; UPDATE metric_series SET count = 2");
    }
    RunStore store(db_path());
    QVERIFY(same_bits(store.metrics(id, "loss/g"), m_g));
    RawDb raw(db_path());
    QCOMPARE(raw.count("SELECT COUNT(*) FROM metric_series WHERE count = 2"), 2LL);
}

void TestStorageMetricSeries::firstReadNeverWaitsForAWriter() {
    const int64_t id = recorded_run(RunStatus::Completed);
    {
        RawDb raw(db_path());
        raw.exec("DELETE FROM metric_series");
    }
    RunStore store(db_path());
    RawDb writer(db_path());
    writer.exec("BEGIN IMMEDIATE");
    QElapsedTimer timer;
    timer.start();
    QVERIFY(same_bits(store.metrics(id, "loss/g"), m_g));
    // The busy timeout is 5 s: the read did not wait for the lock, it read the rows.
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
    writer.exec("ROLLBACK");
    QCOMPARE(packed_count(id), 0LL);
    QVERIFY(same_bits(store.metrics(id, "loss/g"), m_g));
    QCOMPARE(packed_count(id), 1LL);
}

QTEST_GUILESS_MAIN(TestStorageMetricSeries)
#include "test_storage_metric_series.moc"
