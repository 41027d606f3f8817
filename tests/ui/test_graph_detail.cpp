// GraphDetail: a zoomed-out graph draws a min/max summary with the envelope of the full data,
// built incrementally as points stream in, and the full data whenever it is not much denser
// than the pixels.
#include <QtTest>

#include <algorithm>
#include <random>

#include "ui/graph_detail.h"
#include "ui/metric_plot.h"

using wb::ui::GraphDetail;

namespace {

struct Data {
    QVector<double> keys, values;
};

// A noisy decreasing curve with spikes at known places.
Data curve(int n, int first = 0) {
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0, 0.05);
    Data d;
    for (int i = first; i < first + n; ++i) {
        d.keys.append(i);
        double v = 1.0 / (1.0 + i * 1e-3) + noise(rng);
        if (i % 9973 == 17) v += 5;  // up spikes
        if (i % 7919 == 3) v -= 5;   // down spikes
        d.values.append(v);
    }
    return d;
}

std::vector<std::pair<double, double>> points(const QCPGraph& g) {
    std::vector<std::pair<double, double>> out;
    for (auto it = g.data()->constBegin(); it != g.data()->constEnd(); ++it)
        out.emplace_back(it->key, it->value);
    return out;
}

}  // namespace

class TestGraphDetail final : public QObject {
    Q_OBJECT

private slots:
    void fewPointsPerPixelShowTheFullData();
    void summaryKeepsEachBucketsMinimumAndMaximumInKeyOrder();
    void streamedAppendsGiveTheSameSummaryAsOneAppend();
    void anAppendBelowTheLastKeyRebuildsTheSummary();
    void zoomingInShowsTheFullData();
    void metricPlotDrawsMillionsOfPointsAsASummary();
};

void TestGraphDetail::fewPointsPerPixelShowTheFullData() {
    QCustomPlot plot;
    GraphDetail d;
    const Data c = curve(4000);
    d.add(c.keys, c.values);
    d.show(plot.addGraph(), 0, 4000, 600);  // under 8 points per pixel
    QCOMPARE(d.shownBucket(), 1);
    QCOMPARE(plot.graph(0)->data(), d.full());
    QCOMPARE(plot.graph(0)->dataCount(), 4000);
}

void TestGraphDetail::summaryKeepsEachBucketsMinimumAndMaximumInKeyOrder() {
    QCustomPlot plot;
    GraphDetail d;
    const int n = 100000;
    const Data c = curve(n);
    d.add(c.keys, c.values);
    d.show(plot.addGraph(), 0, n, 100);  // 1000 points per pixel -> buckets of 512
    const int b = d.shownBucket();
    QCOMPARE(b, 512);
    // Reference: brute-force min and max of every bucket, emitted in index order.
    std::vector<std::pair<double, double>> expected;
    for (int first = 0; first < n; first += b) {
        const int last = std::min(n, first + b);
        int lo = first, hi = first;
        for (int i = first; i < last; ++i) {
            if (c.values[i] < c.values[lo]) lo = i;
            if (c.values[i] > c.values[hi]) hi = i;
        }
        for (int i : {std::min(lo, hi), std::max(lo, hi)}) {
            expected.emplace_back(c.keys[i], c.values[i]);
            if (lo == hi) break;
        }
    }
    const auto got = points(*plot.graph(0));
    QCOMPARE(got.size(), expected.size());
    QVERIFY(got == expected);
    QVERIFY(got.size() <= static_cast<std::size_t>(2 * ((n + b - 1) / b)));
    // The spikes survive: the drawn extremes are the data's extremes.
    const auto [mn, mx] = std::minmax_element(c.values.begin(), c.values.end());
    bool found = false;
    const QCPRange drawn = plot.graph(0)->data()->valueRange(found);
    QVERIFY(found);
    QCOMPARE(drawn.lower, *mn);
    QCOMPARE(drawn.upper, *mx);
}

void TestGraphDetail::streamedAppendsGiveTheSameSummaryAsOneAppend() {
    QCustomPlot plot;
    QCPGraph* streamed = plot.addGraph();
    QCPGraph* once = plot.addGraph();
    const int n = 60000;
    const Data c = curve(n);
    GraphDetail live, whole;
    for (int first = 0; first < n; first += 777) {
        const int count = std::min(777, n - first);
        live.add(c.keys.mid(first, count), c.values.mid(first, count));
        live.show(streamed, 0, n, 50);  // the summary follows every batch, as a live plot does
    }
    whole.add(c.keys, c.values);
    whole.show(once, 0, n, 50);
    QCOMPARE(live.shownBucket(), whole.shownBucket());
    QVERIFY(live.shownBucket() > 1);
    QVERIFY(points(*streamed) == points(*once));
    QCOMPARE(live.full()->size(), n);
}

void TestGraphDetail::anAppendBelowTheLastKeyRebuildsTheSummary() {
    QCustomPlot plot;
    QCPGraph* resumed = plot.addGraph();
    QCPGraph* reference = plot.addGraph();
    const Data a = curve(40000), b = curve(20000, 30000);  // restarts at step 30000
    GraphDetail d, r;
    d.add(a.keys, a.values);
    d.show(resumed, 0, 50000, 40);
    d.add(b.keys, b.values);
    d.show(resumed, 0, 50000, 40);
    r.add(a.keys + b.keys, a.values + b.values);  // the same points, sorted by the container
    r.show(reference, 0, 50000, 40);
    QVERIFY(d.shownBucket() > 1);
    QVERIFY(points(*resumed) == points(*reference));
}

void TestGraphDetail::zoomingInShowsTheFullData() {
    QCustomPlot plot;
    GraphDetail d;
    const Data c = curve(100000);
    d.add(c.keys, c.values);
    QCPGraph* g = plot.addGraph();
    d.show(g, 0, 100000, 200);
    QVERIFY(d.shownBucket() > 1);
    QVERIFY(g->data() != d.full());
    d.show(g, 50000, 51000, 200);  // 5 points per pixel
    QCOMPARE(d.shownBucket(), 1);
    QCOMPARE(g->data(), d.full());
}

void TestGraphDetail::metricPlotDrawsMillionsOfPointsAsASummary() {
    wb::ui::MetricPlot plot("loss/g");
    plot.resize(800, 500);
    const Data c = curve(1'000'000);
    for (int s = 0; s < 2; ++s) plot.append(QString("run %1").arg(s), c.keys, c.values);
    plot.refresh();
    for (const QString& name : plot.seriesNames()) {
        QCOMPARE(plot.rawData(name)->size(), 1'000'000);
        QVERIFY(plot.rawGraph(name)->dataCount() < 20000);
        QVERIFY(plot.smoothGraph(name)->dataCount() < 20000);
        bool found = false;
        QCOMPARE(plot.rawGraph(name)->data()->valueRange(found).upper,
                 *std::max_element(c.values.begin(), c.values.end()));
    }
}

QTEST_MAIN(TestGraphDetail)
#include "test_graph_detail.moc"
