// Plots and samples that tell the truth: a one-point series is a visible marker on a sensible
// axis, hovering names step, wall time and value of each curve, a saved plot names its runs, and
// text samples never turn bytes into replacement characters.
#include <QFileInfo>
#include <QImage>
#include <QPlainTextEdit>
#include <QTemporaryDir>
#include <QtTest>

#include "engine/api/run_event.h"
#include "ui/metric_plot.h"
#include "ui/sample_preview.h"
#include "ui/sample_text.h"

using namespace wb;

class TestPlots final : public QObject {
    Q_OBJECT

private slots:
    void onePointIsAMarkerOnASensibleAxis();
    void constantZeroSeriesGetsAReadableAxis();
    void hoverNamesStepWallTimeAndValueOfEachCurve();
    void savedPlotNamesItsRuns();
    void textSamplesEscapeWhatIsNotText();
    void samplePreviewShowsNoReplacementCharacters();
};

void TestPlots::onePointIsAMarkerOnASensibleAxis() {
    ui::MetricPlot plot("loss/val");
    plot.resize(400, 300);
    plot.append("loss/val", {200}, {1.37});
    plot.refresh();
    QVERIFY(plot.rawGraph("loss/val")->scatterStyle().shape() != QCPScatterStyle::ssNone);
    QVERIFY(plot.smoothGraph("loss/val")->scatterStyle().shape() != QCPScatterStyle::ssNone);
    const QCPRange x = plot.xAxis->range();
    const QCPRange y = plot.yAxis->range();
    // The point sits inside the axes, not on the frame of [200, 201].
    QVERIFY(x.lower < 200 && x.upper > 200);
    QVERIFY(qFuzzyCompare(x.center(), 200.0));
    QVERIFY(y.lower < 1.37 && y.upper > 1.37);
    QVERIFY(y.size() > 0.1);
    // A second point makes it a line again.
    plot.append("loss/val", {400}, {1.2});
    QCOMPARE(plot.rawGraph("loss/val")->scatterStyle().shape(), QCPScatterStyle::ssNone);
}

void TestPlots::constantZeroSeriesGetsAReadableAxis() {
    ui::MetricPlot plot("quality/hq_fraction");
    plot.append("quality/hq_fraction", {10, 20, 30}, {0, 0, 0});
    plot.refresh();
    const QCPRange y = plot.yAxis->range();
    QVERIFY2(y.size() >= 1.0, qPrintable(QString::number(y.size())));  // not ±1e-9
    QVERIFY(y.contains(0));
}

void TestPlots::hoverNamesStepWallTimeAndValueOfEachCurve() {
    ui::MetricPlot plot("loss/g");
    plot.setSmoothing(0);
    plot.append("#3 baseline", {10, 20, 30}, {1.5, 1.25, 1.125}, QColor(), ui::MetricPlot::ValueAxis::Left, {1, 2, 3});
    plot.append("#4 wider", {10, 20, 30}, {2.5, 2.25, 2.125}, QColor(), ui::MetricPlot::ValueAxis::Left, {1.5, 3, 4.5});
    const QString text = plot.hoverText(21);
    QVERIFY2(text.contains("#3 baseline") && text.contains("#4 wider"), qPrintable(text));
    QVERIFY2(text.contains("1.25") && text.contains("2.25"), qPrintable(text));
    QVERIFY2(text.contains("step 20"), qPrintable(text));
    QVERIFY2(text.contains("2 s") && text.contains("3 s"), qPrintable(text));
    QVERIFY(!text.contains("1.125"));
    QVERIFY(plot.hoverText(29).contains("1.125"));

    // On a wall-time axis the key is the time and the other key is the step.
    ui::MetricPlot wall("loss/g");
    wall.setWallTimeKeys(true);
    wall.append("run", {1.0, 2.0}, {0.5, 0.25}, QColor(), ui::MetricPlot::ValueAxis::Left, {100, 200});
    const QString t = wall.hoverText(1.9);
    QVERIFY2(t.contains("step 200") && t.contains("0.25"), qPrintable(t));
    QVERIFY(ui::MetricPlot("empty").hoverText(3).isEmpty());
}

void TestPlots::savedPlotNamesItsRuns() {
    ui::MetricPlot plot("loss/g");
    plot.resize(300, 200);
    plot.append("loss/g", {1, 2}, {3, 2});
    QCOMPARE(plot.exportTitle(), QString("loss/g"));
    plot.setRunLabel("#4 gpt baseline");
    QCOMPARE(plot.exportTitle(), QString("loss/g — #4 gpt baseline"));
    QTemporaryDir dir;
    const QString png = dir.filePath("plot.png");
    QVERIFY(plot.saveTo(png, false));
    QImage image(png);
    QCOMPARE(image.width(), 600);  // twice the widget, sharp on a slide
    QVERIFY(plot.saveTo(dir.filePath("plot.pdf"), true));
    QVERIFY(QFileInfo(dir.filePath("plot.pdf")).size() > 0);
    // The on-screen title stays short.
    QVERIFY(plot.hoverText(1).startsWith("<b>loss/g</b>"));
}

void TestPlots::textSamplesEscapeWhatIsNotText() {
    QCOMPARE(ui::displayText("plain\ttext\n"), QString("plain\ttext\n"));
    QCOMPARE(ui::displayText("caf\xc3\xa9 \xe2\x82\xac"), QString::fromUtf8("café €"));
    // A character cut in half, a lone continuation byte, a control byte, an overlong form.
    QCOMPARE(ui::displayText("ab\xe2\x82"), QString("ab\\xE2\\x82"));
    QCOMPARE(ui::displayText("\x80x\x07y"), QString("\\x80x\\x07y"));
    QCOMPARE(ui::displayText("\xc0\xaf"), QString("\\xC0\\xAF"));
    QCOMPARE(ui::displayText("\xed\xa0\x80"), QString("\\xED\\xA0\\x80"));  // a surrogate
    QCOMPARE(ui::displayText(QByteArray("a\0b", 3)), QString("a\\x00b"));
    for (int b = 0; b < 256; ++b)
        QVERIFY(!ui::displayText(QByteArray(1, static_cast<char>(b))).contains(QChar(0xfffd)));
}

void TestPlots::samplePreviewShowsNoReplacementCharacters() {
    ui::SamplePreview preview;
    preview.showSample({QString::fromLatin1(api::kSampleText),
                        QByteArray("The \xe2\x80\x9c"
                                   "end\xe2\x80"),
                        40});
    const QString shown = preview.textView()->toPlainText();
    QVERIFY(!shown.contains(QChar(0xfffd)));
    QCOMPARE(shown, QString::fromUtf8("The \xe2\x80\x9c"
                                      "end") +
                        QString("\\xE2\\x80"));
}

QTEST_MAIN(TestPlots)
#include "test_plots.moc"
