// LiveView: the plots receive exactly the points the engine emitted, appended in place; samples
// of every kind are shown; a stored run is loaded from the database.
#include <QBuffer>
#include <QComboBox>
#include <QImage>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QTemporaryDir>
#include <QtTest>

#include "storage/recorder.h"
#include "storage/run_store.h"
#include "tests/ui/fake_engine.h"
#include "ui/live_view.h"
#include "ui/metric_plot.h"
#include "ui/pixel_image_view.h"
#include "ui/points_plot.h"
#include "ui/run_controller.h"
#include "ui/run_progress.h"
#include "ui/sample_preview.h"

using namespace wb;

namespace {

const std::vector<std::string> kMetrics = {"loss/g",
                                           "loss/d",
                                           "throughput/samples_per_s",
                                           "memory/allocated_bytes",
                                           "quality/modes_covered",
                                           "lr"};

QByteArray pngBytes(int w, int h) {
    QImage image(w, h, QImage::Format_Grayscale8);
    image.fill(128);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return bytes;
}

}  // namespace

class TestLiveView final : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void plotsReceiveEveryPoint();
    void xAxisAndSmoothing();
    void otherRunsDoNotTouchTheShownPlots();
    void samplesOfEveryKind();
    void storedRunIsLoaded();
    void emptyPlotUsesItsWidth();

private:
    int64_t startRun();

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<storage::RunStore> m_store;
    std::unique_ptr<test::FakeEngine> m_engine;
    std::unique_ptr<ui::RunController> m_controller;
    std::unique_ptr<ui::LiveView> m_view;
};

void TestLiveView::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_store = std::make_unique<storage::RunStore>(m_dir->filePath("runs.sqlite").toStdString());
    m_engine = std::make_unique<test::FakeEngine>();
    m_controller = std::make_unique<ui::RunController>(*m_engine, *m_store, nullptr);
    m_view = std::make_unique<ui::LiveView>();
    m_view->setStore(m_store.get());
    connect(m_controller.get(), &ui::RunController::eventsArrived, m_view.get(),
            &ui::LiveView::appendEvents);
}

void TestLiveView::cleanup() {
    m_view.reset();
    m_controller.reset();
    m_engine.reset();
    m_store.reset();
    m_dir.reset();
}

int64_t TestLiveView::startRun() {
    api::RunConfig config;
    config.train.steps = 1000;
    const int64_t id = m_controller->start(config, "live");
    m_view->showRun(id);
    return id;
}

void TestLiveView::plotsReceiveEveryPoint() {
    const int64_t id = startRun();
    m_engine->pushMetrics(id, 1, 300, kMetrics);
    m_controller->drainNow();

    QCPGraph* lossG = m_view->lossPlot()->rawGraph("loss/g");
    QVERIFY(lossG);
    QCOMPARE(lossG->dataCount(), 300);
    QCOMPARE(m_view->lossPlot()->rawGraph("loss/d")->dataCount(), 300);
    QCOMPARE(m_view->lossPlot()->smoothGraph("loss/g")->dataCount(), 300);
    QCOMPARE(m_view->throughputPlot()->rawGraph("throughput/samples_per_s")->dataCount(), 300);
    QCOMPARE(m_view->memoryPlot()->rawGraph("memory/allocated_bytes")->dataCount(), 300);
    QCOMPARE(m_view->lossPlot()->seriesNames(), (QStringList{"loss/d", "loss/g"}));

    // Metrics without a plot of their own go to the picker; quality is picked first.
    QComboBox* picker = m_view->otherPicker();
    QCOMPARE(picker->count(), 2);
    QCOMPARE(picker->currentText(), QString("quality/modes_covered"));
    QCOMPARE(m_view->otherPlot()->rawGraph("quality/modes_covered")->dataCount(), 300);
    picker->setCurrentText("lr");
    QVERIFY(!m_view->otherPlot()->rawGraph("quality/modes_covered"));
    QCOMPARE(m_view->otherPlot()->rawGraph("lr")->dataCount(), 300);

    // Later batches are appended to the same graphs, not rebuilt.
    m_engine->pushMetrics(id, 301, 150, kMetrics);
    m_controller->drainNow();
    m_engine->pushMetrics(id, 451, 50, kMetrics);
    m_controller->drainNow();
    QCOMPARE(m_view->lossPlot()->rawGraph("loss/g"), lossG);
    QCOMPARE(lossG->dataCount(), 500);
    QCOMPARE(m_view->otherPlot()->rawGraph("lr")->dataCount(), 500);
    QCOMPARE(lossG->data()->at(499)->key, 500.0);

    // Bytes are shown in MiB.
    const double bytes = m_view->trace(id)->metrics.at("memory/allocated_bytes").values.back();
    QCOMPARE(m_view->memoryPlot()->rawGraph("memory/allocated_bytes")->data()->at(499)->value,
             bytes / (1024.0 * 1024.0));

    QCOMPARE(m_view->progress()->bar()->value(), 500);
    QCOMPARE(m_view->progress()->bar()->maximum(), 1000);
    QVERIFY2(m_view->progress()->etaText().startsWith("ETA"),
             qPrintable(m_view->progress()->etaText()));
}

void TestLiveView::xAxisAndSmoothing() {
    const int64_t id = startRun();
    m_engine->pushMetrics(id, 1, 100, kMetrics);
    m_controller->drainNow();
    m_view->setWallTimeAxis(true);
    QCPGraph* g = m_view->lossPlot()->rawGraph("loss/g");
    QCOMPARE(g->dataCount(), 100);
    QCOMPARE(g->data()->at(99)->key, 100 * 0.01);  // the fake engine's wall time
    m_view->setWallTimeAxis(false);
    QCOMPARE(m_view->lossPlot()->rawGraph("loss/g")->data()->at(99)->key, 100.0);

    m_view->setSmoothing(0);
    QVERIFY(!m_view->lossPlot()->smoothGraph("loss/g")->visible());
    m_view->setSmoothing(0.9);
    QCPGraph* smooth = m_view->lossPlot()->smoothGraph("loss/g");
    QVERIFY(smooth->visible());
    QCOMPARE(smooth->dataCount(), 100);
    // The smoothed curve lags the falling raw one.
    QVERIFY(smooth->data()->at(99)->value >
            m_view->lossPlot()->rawGraph("loss/g")->data()->at(99)->value);

    m_view->setLossLogScale(true);
    QCOMPARE(m_view->lossPlot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
}

void TestLiveView::otherRunsDoNotTouchTheShownPlots() {
    const int64_t a = startRun();
    const int64_t b = m_controller->start(api::RunConfig{}, "other");
    m_view->showRun(a);
    m_engine->pushMetrics(a, 1, 10, {"loss/g"});
    m_engine->pushMetrics(b, 1, 40, {"loss/g"});
    m_controller->drainNow();
    QCOMPARE(m_view->lossPlot()->rawGraph("loss/g")->dataCount(), 10);
    m_view->showRun(b);
    QCOMPARE(m_view->lossPlot()->rawGraph("loss/g")->dataCount(), 40);
    m_view->showRun(a);
    QCOMPARE(m_view->lossPlot()->rawGraph("loss/g")->dataCount(), 10);
}

void TestLiveView::samplesOfEveryKind() {
    const int64_t id = startRun();
    ui::SamplePreview* preview = m_view->samplePreview();
    QVERIFY(preview->shownKind().isEmpty());

    const std::string points =
        R"({"generated": [[0.1, 0.2], [1.9, 0.1], [0, 2]], "real": [[2, 0], [0, 2]],
            "modes": [[2, 0], [0, 2], [-2, 0], [0, -2]], "std": 0.05})";
    m_engine->push(api::RunEvent::sample(id, 250, 1.0, api::kSamplePoints, points));
    m_controller->drainNow();
    QCOMPARE(preview->shownKind(), QString(api::kSamplePoints));
    QCOMPARE(preview->pointsPlot()->generatedCount(), 3);
    QCOMPARE(preview->pointsPlot()->realCount(), 2);
    QCOMPARE(preview->pointsPlot()->modeCount(), 4);

    const QByteArray png = pngBytes(40, 24);
    m_engine->push(api::RunEvent::sample(id, 500, 2.0, api::kSamplePng, png.toStdString()));
    m_controller->drainNow();
    QCOMPARE(preview->shownKind(), QString(api::kSamplePng));
    QCOMPARE(preview->imageView()->image().size(), QSize(40, 24));

    m_engine->push(api::RunEvent::sample(id, 750, 3.0, api::kSampleText, "To be or not"));
    m_controller->drainNow();
    QCOMPARE(preview->shownKind(), QString(api::kSampleText));
    QCOMPARE(preview->textView()->toPlainText(), QString("To be or not"));
}

void TestLiveView::storedRunIsLoaded() {
    const std::string db = m_dir->filePath("runs.sqlite").toStdString();
    const int64_t id = m_store->create_run("stored", "gan_mlp", "{}", "{}", 200, "");
    {
        storage::Recorder recorder(db);
        std::vector<api::RunEvent> events;
        events.push_back(api::RunEvent::status_change(id, 0, 0, api::RunStatus::Running));
        for (int s = 1; s <= 200; ++s)
            for (const auto& name : kMetrics)
                events.push_back(api::RunEvent::metric(id, s, s * 0.01, name, s));
        events.push_back(api::RunEvent::sample(id, 200, 2.0, api::kSampleText, "hello"));
        events.push_back(api::RunEvent::status_change(id, 200, 2.0, api::RunStatus::Completed));
        recorder.record(events);
        recorder.flush();
    }
    ui::LiveView view;
    view.setStore(m_store.get());
    view.showRun(id);
    QCOMPARE(view.lossPlot()->rawGraph("loss/g")->dataCount(), 200);
    QCOMPARE(view.memoryPlot()->rawGraph("memory/allocated_bytes")->dataCount(), 200);
    QCOMPARE(view.otherPlot()->rawGraph("quality/modes_covered")->dataCount(), 200);
    QCOMPARE(view.samplePreview()->shownKind(), QString(api::kSampleText));
    QCOMPARE(view.progress()->bar()->value(), 200);
    QVERIFY(view.progress()->etaText().startsWith("took"));
}

void TestLiveView::emptyPlotUsesItsWidth() {
    // Regression: the (empty, hidden) legend row once capped the layout column at a few pixels.
    ui::MetricPlot plot("Losses");
    plot.resize(400, 250);
    plot.replot();
    QVERIFY2(plot.axisRect()->width() > 300, qPrintable(QString::number(plot.axisRect()->width())));
    plot.append("loss/g", {1, 2, 3}, {3, 2, 1});
    plot.append("loss/d", {1, 2, 3}, {1, 2, 3});
    plot.refresh();
    QVERIFY(plot.legend->visible());
    QVERIFY(plot.axisRect()->width() > 300);
}

QTEST_MAIN(TestLiveView)
#include "test_live_view.moc"
