// Compare: the config diff lists exactly the keys that differ; every metric gets one plot with one
// series per run in the same colour across plots; the summary's deltas follow the baseline.
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "engine/api/presets.h"
#include "storage/recorder.h"
#include "storage/run_store.h"
#include "ui/compare_samples.h"
#include "ui/compare_tables.h"
#include "ui/compare_view.h"
#include "ui/config_diff.h"
#include "ui/csv.h"
#include "ui/metric_plot.h"
#include "ui/sample_preview.h"

using namespace wb;

class TestCompare final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void diffListsExactlyTheDifferingKeys();
    void plotsAndSummary();
    void csvQuoting();
    void runsStillTrainingRefreshThemselves();
    void hiddenMetricsAreKeptPerDatabase();
    void samplesSideBySideAtOneStep();
    void deletedRunLeavesTheComparison();
};

namespace {

// Two runs of `steps` points each of loss/g, recorded; the second is left running.
std::vector<int64_t> twoRuns(storage::RunStore& store, const std::string& db, int steps) {
    std::vector<int64_t> ids;
    storage::Recorder recorder(db);
    for (int r = 0; r < 2; ++r) {
        const int64_t id =
            store.create_run("run" + std::to_string(r), "gan_mlp", "{}", "{}", 1000, "");
        ids.push_back(id);
        std::vector<api::RunEvent> events;
        events.push_back(api::RunEvent::status_change(id, 0, 0, api::RunStatus::Running));
        for (int s = 1; s <= steps; ++s)
            events.push_back(api::RunEvent::metric(id, s, s * 0.1, "loss/g", 1.0 / s));
        if (r == 0)
            events.push_back(api::RunEvent::status_change(id, steps, 1, api::RunStatus::Completed));
        recorder.record(events);
    }
    recorder.flush();
    return ids;
}

}  // namespace

void TestCompare::initTestCase() {
    // QSettings writes go to a test location, not the user's config.
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("genai-workbench-test");
    QCoreApplication::setApplicationName("test_ui_compare");
    QSettings().clear();
}

void TestCompare::diffListsExactlyTheDifferingKeys() {
    api::RunConfig a = api::find_preset("gan-mixture2d")->config;
    api::RunConfig b = a;
    api::RunConfig c = a;
    b.optim.lr = 0.0005;
    c.train.batch_size = 64;
    c.optim.lr = 0.0005;
    nlohmann::json partial = a.to_json();
    partial["model"].erase("dropout");
    const auto rows = ui::configDiff({a.to_json(), b.to_json(), c.to_json(), partial});
    QStringList keys;
    for (const auto& r : rows) keys << r.key;
    QCOMPARE(keys, (QStringList{"model.dropout", "optim.lr", "train.batch_size"}));
    QCOMPARE(rows[1].values, (QStringList{"0.001", "0.0005", "0.0005", "0.001"}));
    QCOMPARE(rows[0].values.last(), QString());  // absent in the partial config
    QVERIFY(ui::configDiff({a.to_json(), a.to_json()}).empty());
}

void TestCompare::plotsAndSummary() {
    QTemporaryDir dir;
    const std::string db = dir.filePath("runs.sqlite").toStdString();
    storage::RunStore store(db);
    std::vector<int64_t> ids;
    {
        storage::Recorder recorder(db);
        for (int r = 0; r < 3; ++r) {
            api::RunConfig config = api::find_preset("gan-mixture2d")->config;
            config.optim.lr = 0.001 * (r + 1);
            const int64_t id = store.create_run("run" + std::to_string(r), "gan_mlp",
                                                config.to_json().dump(), "{}", 100, "");
            ids.push_back(id);
            std::vector<api::RunEvent> events;
            for (int s = 1; s <= 100; ++s) {
                events.push_back(api::RunEvent::metric(id, s, s * 0.1, "loss/g",
                                                       2.0 - s * 0.01 * (r + 1) * 0.5));
                events.push_back(api::RunEvent::metric(id, s, s * 0.1, "throughput/samples_per_s",
                                                       1000.0 * (r + 1)));
                if (r != 2)  // one run lacks a metric: colours must still match across plots
                    events.push_back(
                        api::RunEvent::metric(id, s, s * 0.1, "quality/modes_covered", s % 8 + r));
            }
            events.push_back(api::RunEvent::status_change(id, 100, 10, api::RunStatus::Completed));
            recorder.record(events);
        }
        recorder.flush();
    }
    ui::CompareView view;
    view.setStore(&store);
    view.setRuns(ids);
    QCOMPARE(view.metrics(),
             (QStringList{"loss/g", "quality/modes_covered", "throughput/samples_per_s"}));
    const QStringList names = view.plot("loss/g")->seriesNames();
    QCOMPARE(names.size(), 3);
    QCOMPARE(view.plot("quality/modes_covered")->seriesNames().size(), 2);
    for (int r = 0; r < 3; ++r) {
        const QString series = QString("#%1 run%2").arg(ids[r]).arg(r);
        QCOMPARE(view.plot("loss/g")->rawGraph(series)->dataCount(), 100);
        const QColor color = ui::MetricPlot::seriesColor(r);
        QCOMPARE(view.plot("loss/g")->smoothGraph(series)->pen().color(), color);
        QCOMPARE(view.plot("throughput/samples_per_s")->smoothGraph(series)->pen().color(), color);
        if (r != 2)
            QCOMPARE(view.plot("quality/modes_covered")->smoothGraph(series)->pen().color(), color);
    }

    ui::CompareTables* tables = view.tables();
    QCOMPARE(tables->diffModel()->rowCount(), 1);
    QCOMPARE(tables->diffModel()->item(0, 0)->text(), QString("optim.lr"));
    QCOMPARE(tables->summaryModel()->rowCount(), 3);
    // Final loss: 1.5, 1.0, 0.5; baseline run 0.
    QList<QStringList> csv = tables->summaryRows();
    QCOMPARE(csv.size(), 4);
    QCOMPARE(csv[0][3], QString("final_loss"));
    QCOMPARE(csv[2][3].toDouble(), 1.0);
    QCOMPARE(csv[2][5].toDouble(), (1.0 - 1.5) / 1.5 * 100);
    QCOMPARE(csv[3][9].toDouble(), 3000.0);  // median throughput
    QCOMPARE(csv[3][11].toDouble(), 200.0);  // +200% vs the baseline's 1000
    QVERIFY(tables->summaryModel()->item(1, 2)->text().contains("-33.3%"));
    tables->setBaseline(2);
    csv = tables->summaryRows();
    QCOMPARE(csv[1][5].toDouble(), 200.0);  // 1.5 vs 0.5
    QCOMPARE(csv[3][5].toDouble(), 0.0);
    QVERIFY(!tables->summaryModel()->item(2, 2)->text().contains("%"));  // the baseline itself

    view.setWallTimeAxis(true);
    QCOMPARE(view.plot("loss/g")->rawGraph(names[0])->data()->at(99)->key, 10.0);
}

void TestCompare::csvQuoting() {
    QCOMPARE(ui::toCsv({{"a", "b,c"}, {"say \"hi\"", "x\ny"}}),
             QString("a,\"b,c\"\r\n\"say \"\"hi\"\"\",\"x\ny\"\r\n"));
}

void TestCompare::runsStillTrainingRefreshThemselves() {
    QTemporaryDir dir;
    const std::string db = dir.filePath("runs.sqlite").toStdString();
    storage::RunStore store(db);
    const auto ids = twoRuns(store, db, 50);
    ui::CompareView view;
    view.setStore(&store);
    view.setRuns(ids);
    const QString live = QString("#%1 run1").arg(ids[1]);
    QCOMPARE(view.plot("loss/g")->rawData(live)->size(), 50);
    {
        storage::Recorder recorder(db);
        std::vector<api::RunEvent> more;
        for (int s = 51; s <= 80; ++s)
            more.push_back(api::RunEvent::metric(ids[1], s, s * 0.1, "loss/g", 1.0 / s));
        more.push_back(api::RunEvent::metric(ids[1], 80, 8, "loss/val", 0.5));
        recorder.record(more);
        recorder.flush();
    }
    QSignalSpy failed(&view, &ui::CompareView::loadFailed);
    view.refreshLive();
    QCOMPARE(failed.count(), 0);
    QCOMPARE(view.plot("loss/g")->rawData(live)->size(), 80);
    QCOMPARE(view.plot("loss/g")->rawData(QString("#%1 run0").arg(ids[0]))->size(), 50);
    QVERIFY(view.plot("loss/val") != nullptr);  // a metric that appeared meanwhile
    QCOMPARE(view.traces()[1].metrics.at("loss/g").values.size(), 80);
    // Nothing new: nothing changes.
    view.refreshLive();
    QCOMPARE(view.plot("loss/g")->rawData(live)->size(), 80);
}

void TestCompare::hiddenMetricsAreKeptPerDatabase() {
    QTemporaryDir dir;
    const std::string a = dir.filePath("a.sqlite").toStdString();
    const std::string b = dir.filePath("b.sqlite").toStdString();
    storage::RunStore storeA(a), storeB(b);
    const auto idsA = twoRuns(storeA, a, 5);
    const auto idsB = twoRuns(storeB, b, 5);
    {
        ui::CompareView view;
        view.setStore(&storeA);
        view.setRuns(idsA);
        QVERIFY(view.plot("loss/g"));
        view.setMetricShown("loss/g", false);
        QVERIFY(view.plot("loss/g") == nullptr);
        QVERIFY(view.metrics().isEmpty());
    }
    ui::CompareView again;
    again.setStore(&storeA);
    again.setRuns(idsA);
    QCOMPARE(again.hiddenMetrics(), QStringList{"loss/g"});
    QVERIFY(again.plot("loss/g") == nullptr);
    again.setStore(&storeB);  // another database has its own board
    again.setRuns(idsB);
    QVERIFY(again.plot("loss/g") != nullptr);
    again.setStore(&storeA);
    again.setRuns(idsA);
    again.setMetricShown("loss/g", true);
    QVERIFY(again.plot("loss/g") != nullptr);
}

void TestCompare::samplesSideBySideAtOneStep() {
    QTemporaryDir dir;
    const std::string db = dir.filePath("runs.sqlite").toStdString();
    storage::RunStore store(db);
    const auto ids = twoRuns(store, db, 5);
    {
        storage::Recorder recorder(db);
        recorder.record({api::RunEvent::sample(ids[0], 100, 1, api::kSampleText, "zero at 100"),
                         api::RunEvent::sample(ids[0], 200, 2, api::kSampleText, "zero at 200"),
                         api::RunEvent::sample(ids[1], 150, 1, api::kSampleText, "one at 150")});
        recorder.flush();
    }
    ui::CompareView view;
    view.setStore(&store);
    view.setRuns(ids);
    ui::CompareSamples* samples = view.samples();
    samples->load();
    QCOMPARE(samples->steps(), (std::vector<int64_t>{100, 150, 200}));
    // The newest step first; each run shows its sample at that step or its last before it.
    QCOMPARE(samples->preview(0)->textView()->toPlainText(), QString("zero at 200"));
    QCOMPARE(samples->preview(1)->textView()->toPlainText(), QString("one at 150"));
    samples->showStep(100);
    QCOMPARE(samples->preview(0)->textView()->toPlainText(), QString("zero at 100"));
    QVERIFY(samples->preview(1)->shownKind().isEmpty());  // none yet at step 100
}

void TestCompare::deletedRunLeavesTheComparison() {
    QTemporaryDir dir;
    const std::string db = dir.filePath("runs.sqlite").toStdString();
    storage::RunStore store(db);
    const auto ids = twoRuns(store, db, 5);
    ui::CompareView view;
    view.setStore(&store);
    view.setRuns(ids);
    store.delete_run(ids[0]);
    view.forgetRun(ids[0]);
    QCOMPARE(view.runs(), std::vector<int64_t>{ids[1]});
    QCOMPARE(view.plot("loss/g")->seriesNames(), QStringList{QString("#%1 run1").arg(ids[1])});
}

QTEST_MAIN(TestCompare)
#include "test_compare.moc"
