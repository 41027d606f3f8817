// Compare: the config diff lists exactly the keys that differ; every metric gets one plot with one
// series per run in the same colour across plots; the summary's deltas follow the baseline.
#include <QStandardItemModel>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "engine/api/presets.h"
#include "storage/recorder.h"
#include "storage/run_store.h"
#include "ui/compare_tables.h"
#include "ui/compare_view.h"
#include "ui/config_diff.h"
#include "ui/csv.h"
#include "ui/metric_plot.h"

using namespace wb;

class TestCompare final : public QObject {
    Q_OBJECT

private slots:
    void diffListsExactlyTheDifferingKeys();
    void plotsAndSummary();
    void csvQuoting();
};

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

QTEST_MAIN(TestCompare)
#include "test_compare.moc"
