#include "ui/metric_plot.h"

#include <algorithm>
#include <cmath>

#include <QContextMenuEvent>
#include <QFileDialog>
#include <QMenu>
#include <QMessageBox>
#include <QRegularExpression>

namespace wb::ui {
namespace {

struct ValueExtent {
    bool any = false;
    double v0 = 0, v1 = 0;
    double p0 = 0;  ///< smallest value > 0; 0: none
};

// Breathing room so that the newest point and the extremes are not on the frame.
void fitValueAxis(QCPAxis* axis, const ValueExtent& e, bool log) {
    if (!e.any) return;
    if (log) {
        if (e.p0 > 0 && e.v1 > 0) axis->setRange(e.p0 / 1.2, std::max(e.v1, e.p0) * 1.2);
    } else if (e.v1 > e.v0) {
        axis->setRange(e.v0 - 0.06 * (e.v1 - e.v0), e.v1 + 0.06 * (e.v1 - e.v0));
    } else {
        // A constant series (one point, or a flat 0) gets a readable range around it.
        const double pad = e.v0 != 0 ? std::abs(e.v0) * 0.1 : 1.0;
        axis->setRange(e.v0 - pad, e.v0 + pad);
    }
}

}  // namespace

MetricPlot::MetricPlot(const QString& title, QWidget* parent) : QCustomPlot(parent) {
    setMinimumSize(240, 170);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    setNoAntialiasingOnDrag(true);
    // Segment-wise lines skip the join computation of wide polylines, the main cost of a replot.
    setPlottingHint(QCP::phFastPolylines, true);
    // The hover text replaces a tooltip; Help → Keyboard shortcuts lists drag, wheel and
    // double-click.
    setMouseTracking(true);
    plotLayout()->insertRow(0);
    m_title =
        new QCPTextElement(this, title, QFont(font().family(), font().pointSize(), QFont::Bold));
    plotLayout()->addElement(0, 0, m_title);
    // The legend gets a row of its own under the title: inside the axis rect it hides curves.
    axisRect()->insetLayout()->take(legend);
    plotLayout()->insertRow(1);
    plotLayout()->addElement(1, 0, legend);
    plotLayout()->setRowStretchFactor(1, 0.001);
    plotLayout()->setRowSpacing(0);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setFont(QFont(font().family(), font().pointSize() - 1));
    legend->setBorderPen(Qt::NoPen);
    legend->setBrush(Qt::NoBrush);
    legend->setMargins(QMargins(4, 0, 4, 0));
    // An empty legend's size hint caps the width of the whole layout column at its margins,
    // which squeezes the axis rect of a plot without series. An explicit cap replaces the hint;
    // it must stay below QWIDGETSIZE_MAX once QCustomPlot adds the margins, or it counts as unset.
    constexpr int kLegendMaxWidth = 100000;
    legend->setMaximumSize(kLegendMaxWidth, QWIDGETSIZE_MAX);
    legend->setVisible(false);
    for (QCPAxis* axis : {xAxis, yAxis, yAxis2}) {
        axis->grid()->setPen(QPen(QColor(0, 0, 0, 25)));
        axis->setBasePen(QPen(QColor(0, 0, 0, 90)));
        axis->setTickPen(QPen(QColor(0, 0, 0, 90)));
        axis->setSubTickPen(QPen(QColor(0, 0, 0, 60)));
    }
    m_empty = new QCPItemText(this);
    m_empty->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_empty->position->setCoords(0.5, 0.5);
    m_empty->setColor(QColor(0, 0, 0, 110));
    m_empty->setText(tr("no data yet"));
    connect(this, &QCustomPlot::beforeReplot, this, &MetricPlot::chooseDetail);
}

void MetricPlot::chooseDetail() {
    const int pixels = axisRect()->width() > 0 ? axisRect()->width() : width();
    const QCPRange range = xAxis->range();
    for (auto& [name, s] : m_series) {
        s.rawDetail.show(s.raw, range.lower, range.upper, pixels);
        s.smoothDetail.show(s.smooth, range.lower, range.upper, pixels);
    }
}

QColor MetricPlot::seriesColor(int index) {
    // Tableau 10: distinguishable, and readable when drawn faint.
    static const QColor kColors[] = {
        QColor(0x4e79a7), QColor(0xf28e2b), QColor(0xe15759), QColor(0x76b7b2), QColor(0x59a14f),
        QColor(0xedc948), QColor(0xb07aa1), QColor(0xff9da7), QColor(0x9c755f), QColor(0xbab0ac)};
    return kColors[index % 10];
}

void MetricPlot::setTitle(const QString& title) {
    m_title->setText(title);
    m_dirty = true;
}

void MetricPlot::setAxisLabels(const QString& x, const QString& y) {
    xAxis->setLabel(x);
    yAxis->setLabel(y);
    m_dirty = true;
}

void MetricPlot::setEmptyText(const QString& text) {
    m_empty->setText(text);
    m_dirty = true;
}

void MetricPlot::setRightAxisLabel(const QString& y) {
    yAxis2->setLabel(y);
    m_dirty = true;
}

void MetricPlot::clearSeries() {
    clearGraphs();
    m_series.clear();
    yAxis2->setVisible(false);
    m_follow = true;
    updateDecorations();
    m_dirty = true;
}

void MetricPlot::append(const QString& name, const QVector<double>& keys,
                        const QVector<double>& values, const QColor& seriesColour, ValueAxis axis,
                        const QVector<double>& otherKeys) {
    if (keys.isEmpty()) return;
    auto it = m_series.find(name);
    if (it == m_series.end()) {
        const QColor color =
            seriesColour.isValid() ? seriesColour : seriesColor(static_cast<int>(m_series.size()));
        Series s;
        s.right = axis == ValueAxis::Right;
        QCPAxis* valueAxis = s.right ? yAxis2 : yAxis;
        if (s.right) yAxis2->setVisible(true);
        s.raw = addGraph(xAxis, valueAxis);
        s.smooth = addGraph(xAxis, valueAxis);
        s.raw->setName(name);
        s.smooth->setName(name);
        s.raw->setPen(QPen(color, 1));
        s.smooth->setPen(QPen(color, 2));
        for (QCPGraph* g : {s.raw, s.smooth}) g->setAdaptiveSampling(true);
        s.raw->setData(s.rawDetail.full());
        s.smooth->setData(s.smoothDetail.full());
        it = m_series.emplace(name, s).first;
        restyle(it->second);
        updateDecorations();
    }
    Series& s = it->second;
    for (int i = 0; i < keys.size(); ++i) {
        const double k = keys[i];
        const double v = values[i];
        if (!std::isfinite(v) || !std::isfinite(k)) continue;
        if (!s.hasExtent) {
            s.keyMin = s.keyMax = k;
            s.valueMin = s.valueMax = v;
            s.hasExtent = true;
        }
        s.keyMin = std::min(s.keyMin, k);
        s.keyMax = std::max(s.keyMax, k);
        s.valueMin = std::min(s.valueMin, v);
        s.valueMax = std::max(s.valueMax, v);
        if (v > 0 && (s.positiveMin == 0 || v < s.positiveMin)) s.positiveMin = v;
    }
    // Not marked sorted: a resumed run can restart below its last step.
    s.rawDetail.add(keys, values);
    appendSmoothed(s, keys, values);
    if (otherKeys.size() == keys.size()) {
        QVector<QCPGraphData> pairs(keys.size());
        for (int i = 0; i < keys.size(); ++i) pairs[i] = QCPGraphData(keys[i], otherKeys[i]);
        s.otherKeys.add(pairs, false);
    }
    // One point draws no line: a marker shows it (loss/val after its first evaluation).
    const bool single = s.rawDetail.full()->size() == 1;
    if (single != (s.raw->scatterStyle().shape() != QCPScatterStyle::ssNone)) {
        const QCPScatterStyle style =
            single ? QCPScatterStyle(QCPScatterStyle::ssDisc, s.smooth->pen().color(), 7)
                   : QCPScatterStyle();
        s.raw->setScatterStyle(style);
        s.smooth->setScatterStyle(style);
    }
    m_dirty = true;
}

// Debiased EMA as TensorBoard draws it: the first points are not dragged towards zero.
void MetricPlot::appendSmoothed(Series& s, const QVector<double>& keys,
                                const QVector<double>& values) {
    if (m_smoothing <= 0) return;
    QVector<double> outKeys, outValues;
    outKeys.reserve(keys.size());
    outValues.reserve(keys.size());
    for (int i = 0; i < keys.size(); ++i) {
        if (!std::isfinite(values[i])) continue;
        s.ema = s.ema * m_smoothing + (1 - m_smoothing) * values[i];
        ++s.count;
        outKeys.append(keys[i]);
        outValues.append(s.ema / (1 - std::pow(m_smoothing, s.count)));
    }
    s.smoothDetail.add(outKeys, outValues);
}

void MetricPlot::setSmoothing(double weight) {
    weight = std::clamp(weight, 0.0, 0.999);
    if (weight == m_smoothing) return;
    m_smoothing = weight;
    for (auto& [name, s] : m_series) {
        s.smoothDetail.clear();
        s.ema = 0;
        s.count = 0;
        const auto& raw = s.rawDetail.full();
        QVector<double> keys, values;
        keys.reserve(raw->size());
        values.reserve(raw->size());
        for (auto p = raw->constBegin(); p != raw->constEnd(); ++p) {
            keys.append(p->key);
            values.append(p->value);
        }
        appendSmoothed(s, keys, values);
        restyle(s);
    }
    updateDecorations();
    m_dirty = true;
}

void MetricPlot::restyle(Series& s) {
    const bool smoothing = m_smoothing > 0;
    QPen raw = s.raw->pen();
    QColor c = raw.color();
    c.setAlpha(smoothing ? 60 : 255);
    raw.setColor(c);
    raw.setWidthF(smoothing ? 1 : 1.5);
    s.raw->setPen(raw);
    s.smooth->setVisible(smoothing);
}

void MetricPlot::updateDecorations() {
    legend->clearItems();
    for (auto& [name, s] : m_series) (m_smoothing > 0 ? s.smooth : s.raw)->addToLegend();
    legend->setVisible(m_legendShown && m_series.size() > 1);
    m_empty->setVisible(m_series.empty());
}

void MetricPlot::setLegendShown(bool shown) {
    m_legendShown = shown;
    updateDecorations();
    m_dirty = true;
}

void MetricPlot::setLogScale(bool on) {
    if (on == m_logScale) return;
    m_logScale = on;
    yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (on)
        yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    else
        yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    follow();
}

void MetricPlot::follow() {
    m_follow = true;
    m_dirty = true;
    refresh();
}

void MetricPlot::refresh() {
    if (!m_dirty) return;
    m_dirty = false;
    if (m_follow) fitToData();
    replot();
}

void MetricPlot::fitToData() {
    bool any = false;
    double k0 = 0, k1 = 0;
    ValueExtent left, right;
    for (const auto& [name, s] : m_series) {
        if (!s.hasExtent) continue;
        k0 = any ? std::min(k0, s.keyMin) : s.keyMin;
        k1 = any ? std::max(k1, s.keyMax) : s.keyMax;
        any = true;
        ValueExtent& e = s.right ? right : left;
        e.v0 = e.any ? std::min(e.v0, s.valueMin) : s.valueMin;
        e.v1 = e.any ? std::max(e.v1, s.valueMax) : s.valueMax;
        if (s.positiveMin > 0) e.p0 = e.p0 > 0 ? std::min(e.p0, s.positiveMin) : s.positiveMin;
        e.any = true;
    }
    if (!any) return;
    // A single step or value gets a range around it, not [k, k + 1] with the point on the edge;
    // a one-point series among longer ones (loss/val) would sit on the frame, half drawn.
    bool marker = false;
    for (const auto& [name, s] : m_series) marker = marker || s.rawDetail.full()->size() == 1;
    if (k1 > k0) {
        const double pad = marker ? 0.03 * (k1 - k0) : 0.0;
        xAxis->setRange(k0 - pad, k1 + pad);
    } else {
        const double pad = std::max(std::abs(k0) * 0.05, 1.0);
        xAxis->setRange(k0 - pad, k0 + pad);
    }
    fitValueAxis(yAxis, left, m_logScale);
    fitValueAxis(yAxis2, right, /*log=*/false);
}

QStringList MetricPlot::seriesNames() const {
    QStringList names;
    for (const auto& [name, s] : m_series) names.append(name);
    return names;
}

QCPGraph* MetricPlot::rawGraph(const QString& name) const {
    const auto it = m_series.find(name);
    return it == m_series.end() ? nullptr : it->second.raw;
}

QCPGraph* MetricPlot::smoothGraph(const QString& name) const {
    const auto it = m_series.find(name);
    return it == m_series.end() ? nullptr : it->second.smooth;
}

QSharedPointer<QCPGraphDataContainer> MetricPlot::rawData(const QString& name) const {
    const auto it = m_series.find(name);
    return it == m_series.end() ? nullptr : it->second.rawDetail.full();
}

void MetricPlot::mousePressEvent(QMouseEvent* event) {
    m_follow = false;
    QCustomPlot::mousePressEvent(event);
}

void MetricPlot::wheelEvent(QWheelEvent* event) {
    m_follow = false;
    QCustomPlot::wheelEvent(event);
}

void MetricPlot::mouseDoubleClickEvent(QMouseEvent* event) {
    QCustomPlot::mouseDoubleClickEvent(event);
    follow();
}

void MetricPlot::contextMenuEvent(QContextMenuEvent* event) {
    QMenu menu(this);
    const QString title = exportTitle().isEmpty() ? QStringLiteral("plot") : exportTitle();
    const QString base =
        QString(title).replace(QRegularExpression(QStringLiteral(R"([/\\:*?"<>|#])")), "_");
    auto save = [this, base](bool pdf) {
        const QString path = QFileDialog::getSaveFileName(
            this, pdf ? tr("Save plot as PDF") : tr("Save plot as PNG"),
            base + (pdf ? QStringLiteral(".pdf") : QStringLiteral(".png")),
            pdf ? tr("PDF (*.pdf)") : tr("PNG images (*.png)"));
        if (path.isEmpty()) return;
        if (!saveTo(path, pdf))
            QMessageBox::warning(this, tr("Plot not saved"), tr("Could not write %1.").arg(path));
    };
    menu.addAction(tr("Save plot as PNG…"), this, [save] { save(false); });
    menu.addAction(tr("Save plot as PDF…"), this, [save] { save(true); });
    menu.addSeparator();
    menu.addAction(tr("Fit to data"), this, &MetricPlot::follow);
    menu.exec(event->globalPos());
}

}  // namespace wb::ui
