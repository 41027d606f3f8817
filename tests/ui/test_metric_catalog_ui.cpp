// The views read the metric catalog: throughput units on separate axes, every axis named with its
// unit, no deltas between runs whose losses mean different things, colour only where a direction
// is known, summary columns that name their metric and unit, energy marked as estimated.
#include <QLabel>
#include <QStandardItemModel>
#include <QTemporaryDir>
#include <QtTest>

#include "engine/api/presets.h"
#include "engine/service/run_service.h"
#include "storage/recorder.h"
#include "storage/run_store.h"
#include "tests/ui/fake_engine.h"
#include "ui/compare_tables.h"
#include "ui/compare_view.h"
#include "ui/history_model.h"
#include "ui/live_view.h"
#include "ui/metric_plot.h"

using namespace wb;

namespace {

struct Series {
    std::string name;
    double first, last;  ///< values move linearly from first to last over the steps
};

}  // namespace

class TestMetricCatalogUi final : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void throughputUnitsGetTheirOwnAxes();
    void unknownMetricStillPlots();
    void differentFamiliesGetNoLossDeltas();
    void ganLossDeltasAreNotColoured();
    void lowerFidIsBetter();
    void historyNamesMetricAndUnit();
    void fidShowsItsExtractorAndMismatchesWarn();
    void energyShowsItsSourceAndDelta();

private:
    int64_t addRun(const std::string& name, const std::string& model,
                   const std::vector<Series>& series, int steps = 50);
    QStandardItem* summaryCell(ui::CompareTables* t, int row, int column) const {
        return t->summaryModel()->item(row, column);
    }
    QString header(ui::CompareTables* t, int column) const {
        return t->summaryModel()->horizontalHeaderItem(column)->text();
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<storage::RunStore> m_store;
};

void TestMetricCatalogUi::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_store = std::make_unique<storage::RunStore>(m_dir->filePath("runs.sqlite").toStdString());
}

void TestMetricCatalogUi::cleanup() {
    m_store.reset();
    m_dir.reset();
}

int64_t TestMetricCatalogUi::addRun(const std::string& name, const std::string& model,
                                    const std::vector<Series>& series, int steps) {
    const int64_t id = m_store->create_run(name, model, "{}", "{}", steps, "");
    storage::Recorder recorder(m_store->path());
    std::vector<api::RunEvent> events;
    for (int s = 1; s <= steps; ++s)
        for (const Series& m : series)
            events.push_back(api::RunEvent::metric(
                id, s, s * 0.1, m.name, m.first + (m.last - m.first) * (s - 1) / (steps - 1)));
    events.push_back(
        api::RunEvent::status_change(id, steps, steps * 0.1, api::RunStatus::Completed));
    recorder.record(events);
    recorder.flush();
    return id;
}

// Seen by a user: samples/s (~300) was a flat line at 0 under tokens/s (~20,000).
void TestMetricCatalogUi::throughputUnitsGetTheirOwnAxes() {
    const int64_t id = addRun("gpt", "gpt",
                              {{"loss/train", 4.0, 2.0},
                               {"throughput/samples_per_s", 290, 310},
                               {"throughput/tokens_per_s", 19000, 21000},
                               {"memory/peak_bytes", 64 << 20, 128 << 20},
                               {"time/step_ms", 100, 90}});
    ui::LiveView view;
    view.setStore(m_store.get());
    view.showRun(id);
    ui::MetricPlot* t = view.throughputPlot();
    t->refresh();
    QCPGraph* samples = t->rawGraph("throughput/samples_per_s");
    QCPGraph* tokens = t->rawGraph("throughput/tokens_per_s");
    QVERIFY(samples && tokens);
    QCOMPARE(samples->valueAxis(), t->yAxis);
    QCOMPARE(tokens->valueAxis(), t->yAxis2);
    QVERIFY(t->yAxis2->visible());
    QCOMPARE(t->yAxis->label(), QString("samples/s"));
    QCOMPARE(t->yAxis2->label(), QString("tokens/s"));
    // Each axis fits its own series: samples/s fill the left axis instead of hugging zero.
    QVERIFY2(t->yAxis->range().upper < 400 && t->yAxis->range().lower > 250,
             qPrintable(QString::number(t->yAxis->range().upper)));
    QVERIFY(t->yAxis2->range().upper > 20000);

    QCOMPARE(view.lossPlot()->yAxis->label(), QString("nats/token"));
    QCOMPARE(view.memoryPlot()->yAxis->label(), QString("MiB"));
    QCOMPARE(view.memoryPlot()->rawData("memory/peak_bytes")->at(0)->value, 64.0);
    QVERIFY(!view.memoryPlot()->yAxis2->visible());
    // time/step_ms is not a throughput: it is picked in the other plot, with its unit.
    QVERIFY(!t->rawGraph("time/step_ms"));
    QCOMPARE(view.otherPicker()->currentText(), QString("time/step_ms"));
    view.otherPlot()->refresh();
    QCOMPARE(view.otherPlot()->yAxis->label(), QString("ms"));
    QVERIFY(
        view.otherPicker()->itemData(0, Qt::ToolTipRole).toString().contains("lower is better"));

    // A run without tokens/s (a GAN) has no right axis.
    const int64_t gan = addRun("gan", "gan_mlp", {{"throughput/samples_per_s", 900, 1000}});
    view.showRun(gan);
    QVERIFY(!view.throughputPlot()->yAxis2->visible());
    QCOMPARE(view.throughputPlot()->yAxis->label(), QString("samples/s"));
}

void TestMetricCatalogUi::unknownMetricStillPlots() {
    const int64_t id = addRun("new", "gan_mlp", {{"loss/g", 1, 0.5}, {"custom/widgets", 3, 7}});
    ui::LiveView view;
    view.setStore(m_store.get());
    view.showRun(id);
    QCOMPARE(view.otherPicker()->findText("custom/widgets") >= 0, true);
    view.otherPicker()->setCurrentText("custom/widgets");
    QCOMPARE(view.otherPlot()->rawData("custom/widgets")->size(), 50);
    ui::CompareView compare;
    compare.setStore(m_store.get());
    compare.setRuns({id});
    QVERIFY(compare.plot("custom/widgets"));
    QCOMPARE(compare.plot("custom/widgets")->rawData("#" + QString::number(id) + " new")->size(),
             50);
}

// Seen by a user: a GAN and a GPT were given a % delta of "final loss" against each other.
void TestMetricCatalogUi::differentFamiliesGetNoLossDeltas() {
    const int64_t gan = addRun("gan", "gan_mlp",
                               {{"loss/g", 2.0, 1.5},
                                {"throughput/samples_per_s", 1000, 1000},
                                {"memory/peak_bytes", 100 << 20, 100 << 20}});
    const int64_t gpt = addRun("gpt", "gpt",
                               {{"loss/train", 4.0, 2.5},
                                {"loss/val", 4.0, 3.0},
                                {"throughput/samples_per_s", 300, 300},
                                {"memory/peak_bytes", 200 << 20, 200 << 20}});
    ui::CompareView view;
    view.setStore(m_store.get());
    view.setRuns({gan, gpt});
    ui::CompareTables* t = view.tables();
    auto* warning = t->findChild<QLabel*>("familyWarning");
    QVERIFY(warning && !warning->isHidden());
    QVERIFY2(warning->text().contains("GAN: #" + QString::number(gan)),
             qPrintable(warning->text()));
    QVERIFY(warning->text().contains("language model: #" + QString::number(gpt)));
    // The runs report different losses: the header says so and each cell names its metric.
    QCOMPARE(header(t, 2), QString("Final loss"));
    QCOMPARE(summaryCell(t, 0, 2)->text(), QString("loss/g 1.5"));
    QCOMPARE(summaryCell(t, 1, 2)->text(), QString("loss/val 3 nats/token"));
    QVERIFY(summaryCell(t, 1, 2)->toolTip().contains("measures something else"));
    const auto csv = t->summaryRows();
    QCOMPARE(csv[2][4], QString("loss/val"));
    QCOMPARE(csv[2][5], QString());  // no final-loss delta
    // A GAN's sample is a point, a GPT's a window of text: no throughput delta either. Memory
    // means the same for both: its delta stays, with the unit in the header.
    QCOMPARE(header(t, 4), QString("Median throughput/samples_per_s (samples/s)"));
    QCOMPARE(csv[2][11], QString());
    QVERIFY(!summaryCell(t, 1, 4)->text().contains("%"));
    QCOMPARE(header(t, 5), QString("Peak memory/peak_bytes (MiB)"));
    QCOMPARE(csv[2][14].toDouble(), 100.0);
    QVERIFY(summaryCell(t, 1, 5)->text().contains("+100.0%"));
    QCOMPARE(summaryCell(t, 1, 5)->foreground().color(), QColor(0xd0, 0x30, 0x2f));  // more: worse

    // Two runs of one family: no warning.
    const int64_t gan2 = addRun("gan2", "dcgan", {{"loss/g", 2.0, 1.0}});
    view.setRuns({gan, gan2});
    QVERIFY(t->findChild<QLabel*>("familyWarning")->isHidden());
}

// Seen by a user: a lower GAN loss was painted green, as if it were better.
void TestMetricCatalogUi::ganLossDeltasAreNotColoured() {
    const int64_t a =
        addRun("a", "gan_mlp",
               {{"loss/g", 2.0, 2.0}, {"quality/modes_covered", 4, 6}, {"time/step_ms", 10, 10}});
    const int64_t b =
        addRun("b", "gan_mlp",
               {{"loss/g", 2.0, 1.0}, {"quality/modes_covered", 4, 8}, {"time/step_ms", 20, 20}});
    ui::CompareView view;
    view.setStore(m_store.get());
    view.setRuns({a, b});
    ui::CompareTables* t = view.tables();
    QCOMPARE(header(t, 2), QString("Final loss/g"));
    QCOMPARE(header(t, 3), QString("Best quality/modes_covered (modes)"));
    QVERIFY(t->summaryModel()->horizontalHeaderItem(2)->toolTip().contains("no better direction"));
    QStandardItem* loss = summaryCell(t, 1, 2);
    QVERIFY2(loss->text().contains("-50.0%"), qPrintable(loss->text()));
    QCOMPARE(loss->data(Qt::ForegroundRole), QVariant());  // no colour: no better direction
    QStandardItem* modes = summaryCell(t, 1, 3);
    QVERIFY(modes->text().contains("+33.3%"));
    QCOMPARE(modes->foreground().color(), QColor(0x2e, 0x8b, 0x3e));  // more modes: better
    // The plots name their units from the catalog.
    QCOMPARE(view.plot("time/step_ms")->yAxis->label(), QString("ms"));
    QCOMPARE(view.plot("quality/modes_covered")->yAxis->label(), QString("modes"));
    QCOMPARE(view.plot("loss/g")->yAxis->label(), QString());
}

// Seen in the code: FID and KID counted as higher-is-better.
void TestMetricCatalogUi::lowerFidIsBetter() {
    const int64_t a = addRun("a", "dcgan", {{"quality/fid", 90, 40}, {"quality/kid", 0.1, 0.05}});
    const int64_t b = addRun("b", "dcgan", {{"quality/fid", 90, 20}, {"quality/kid", 0.1, 0.02}});
    ui::CompareView view;
    view.setStore(m_store.get());
    view.setRuns({a, b});
    ui::CompareTables* t = view.tables();
    QCOMPARE(header(t, 3), QString("Best quality/fid"));
    const auto csv = t->summaryRows();
    QCOMPARE(csv[1][6].toDouble(), 40.0);  // best = lowest
    QCOMPARE(csv[2][6].toDouble(), 20.0);
    QCOMPARE(summaryCell(t, 1, 3)->foreground().color(), QColor(0x2e, 0x8b, 0x3e));
}

// Issue 21: each FID is shown with the accuracy of the extractor that measured it, and runs
// measured with different extractors are flagged.
void TestMetricCatalogUi::fidShowsItsExtractorAndMismatchesWarn() {
    const int64_t a = addRun("a", "dcgan", {{"quality/fid", 90, 40}});
    const int64_t b = addRun("b", "dcgan", {{"quality/fid", 90, 20}});
    storage::Recorder recorder(m_store->path());
    recorder.record({api::RunEvent::attribute(
                         a, 1, 0.1, "fid_extractor",
                         R"({"checksum":"0cf4406c","test_accuracy":0.8832,"canonical":true})"),
                     api::RunEvent::attribute(
                         b, 1, 0.1, "fid_extractor",
                         R"({"checksum":"5fae24b4","test_accuracy":0.8862,"canonical":true})")});
    recorder.flush();
    ui::CompareView view;
    view.setStore(m_store.get());
    view.setRuns({a, b});
    ui::CompareTables* t = view.tables();
    QVERIFY2(summaryCell(t, 0, 3)->text().contains("(extractor 88.32%)"),
             qPrintable(summaryCell(t, 0, 3)->text()));
    QVERIFY(summaryCell(t, 1, 3)->text().contains("(extractor 88.62%)"));
    auto* warning = t->findChild<QLabel*>("familyWarning");
    QVERIFY(warning && !warning->isHidden());
    QVERIFY2(warning->text().contains("different feature extractors (0cf4406c, 5fae24b4)"),
             qPrintable(warning->text()));

    wb::test::FakeEngine engine;
    service::RunService runs(engine, *m_store, [](const std::vector<api::RunEvent>&) {});
    ui::HistoryModel model;
    model.setService(&runs);
    model.refresh();
    const QModelIndex q = model.index(model.rowOf(a), ui::HistoryModel::Quality);
    QCOMPARE(q.data().toString(), QString("40 (extractor 88.32%)"));
}

void TestMetricCatalogUi::historyNamesMetricAndUnit() {
    const int64_t id = addRun("gpt", "gpt", {{"loss/train", 4.0, 2.5}, {"loss/val", 4.0, 3.0}});
    wb::test::FakeEngine engine;
    service::RunService runs(engine, *m_store, [](const std::vector<api::RunEvent>&) {});
    ui::HistoryModel model;
    model.setService(&runs);
    model.refresh();
    const QModelIndex loss = model.index(model.rowOf(id), ui::HistoryModel::Loss);
    QCOMPARE(loss.data().toString(), QString("3"));
    const QString tip = loss.data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.startsWith("loss/val (nats/token, lower is better)"), qPrintable(tip));
    QVERIFY(tip.contains("loss/train = 2.5 nats/token"));
    QVERIFY(model.headerData(ui::HistoryModel::Loss, Qt::Horizontal, Qt::ToolTipRole)
                .toString()
                .contains("loss/val"));
}

// Issue 23: the history and the compare summary show each run's energy, say "estimated" where it
// is, give the delta to the baseline (less energy: better) and warn when the sources differ.
void TestMetricCatalogUi::energyShowsItsSourceAndDelta() {
    const int64_t a = addRun("a", "gan_mlp", {{"loss/g", 2, 1}, {"energy/joules", 10, 900}});
    const int64_t b = addRun("b", "gan_mlp", {{"loss/g", 2, 1}, {"energy/joules", 10, 450}});
    const std::string estimated =
        R"({"label":"estimated: CPU time x 10 W per core","estimated":true,)"
        R"("cpu":{"source":"cpu-time estimate","watts_per_core":10}})";
    {
        storage::Recorder recorder(m_store->path());
        recorder.record({api::RunEvent::attribute(a, 1, 0.1, "energy", estimated),
                         api::RunEvent::attribute(b, 1, 0.1, "energy", estimated)});
        recorder.flush();
    }
    ui::CompareView view;
    view.setStore(m_store.get());
    view.setRuns({a, b});
    ui::CompareTables* t = view.tables();
    QCOMPARE(header(t, 7), QString("Total energy/joules (J)"));
    QCOMPARE(summaryCell(t, 0, 7)->text(), QString("900 (estimated)"));
    QStandardItem* less = summaryCell(t, 1, 7);
    QVERIFY2(less->text().contains("450 (estimated) (-50.0%)"), qPrintable(less->text()));
    QCOMPARE(less->foreground().color(), QColor(0x2e, 0x8b, 0x3e));  // less energy: better
    QVERIFY(less->toolTip().contains("Source: estimated: CPU time x 10 W per core"));
    QVERIFY(t->findChild<QLabel*>("familyWarning")->isHidden());
    const auto csv = t->summaryRows();
    QCOMPARE(csv[0][17], QString("energy"));
    QCOMPARE(csv[2][17].toDouble(), 450.0);
    QCOMPARE(csv[2][19].toDouble(), -50.0);
    QCOMPARE(csv[2][20], QString("estimated: CPU time x 10 W per core"));

    wb::test::FakeEngine engine;
    service::RunService runs(engine, *m_store, [](const std::vector<api::RunEvent>&) {});
    ui::HistoryModel model;
    model.setService(&runs);
    model.refresh();
    const QModelIndex cell = model.index(model.rowOf(a), ui::HistoryModel::Energy);
    QCOMPARE(cell.data().toString(), QString("900 J (estimated)"));
    QVERIFY(cell.data(Qt::ToolTipRole).toString().startsWith("Source: estimated: CPU time"));
    QCOMPARE(model.index(model.rowOf(b), ui::HistoryModel::Energy)
                 .data(ui::HistoryModel::SortRole)
                 .toDouble(),
             450.0);

    // A measured run beside an estimated one: the delta stays, with a warning.
    const int64_t c = addRun("c", "gan_mlp", {{"loss/g", 2, 1}, {"energy/joules", 10, 720}});
    {
        storage::Recorder recorder(m_store->path());
        recorder.record({api::RunEvent::attribute(
            c, 1, 0.1, "energy",
            R"({"label":"measured: RAPL package-0, machine-wide","estimated":false,)"
            R"("cpu":{"source":"rapl"}})")});
        recorder.flush();
    }
    view.setRuns({a, c});
    QCOMPARE(summaryCell(t, 1, 7)->text(), QString("720 (measured) (-20.0%)"));
    auto* warning = t->findChild<QLabel*>("familyWarning");
    QVERIFY2(!warning->isHidden() && warning->text().contains("measured or estimated in different "
                                                              "ways (cpu-time estimate at 10 W per "
                                                              "core; rapl)"),
             qPrintable(warning->text()));
}

QTEST_MAIN(TestMetricCatalogUi)
#include "test_metric_catalog_ui.moc"
