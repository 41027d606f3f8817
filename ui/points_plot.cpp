#include "ui/points_plot.h"

#include <algorithm>
#include <cmath>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace wb::ui {
namespace {

// [[x, y], ...] into two vectors; false when an entry is not a pair of numbers.
bool readPairs(const QJsonValue& v, QVector<double>* xs, QVector<double>* ys) {
    if (v.isUndefined()) return true;
    if (!v.isArray()) return false;
    for (const QJsonValue& p : v.toArray()) {
        const QJsonArray pair = p.toArray();
        if (pair.size() != 2 || !pair[0].isDouble() || !pair[1].isDouble()) return false;
        xs->append(pair[0].toDouble());
        ys->append(pair[1].toDouble());
    }
    return true;
}

}  // namespace

PointsPlot::PointsPlot(QWidget* parent) : QCustomPlot(parent) {
    setMinimumSize(200, 200);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_real = addGraph();
    m_real->setLineStyle(QCPGraph::lsNone);
    m_real->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, QColor(0, 0, 0, 40), 3));
    m_real->setName(tr("real"));
    m_generated = addGraph();
    m_generated->setLineStyle(QCPGraph::lsNone);
    m_generated->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssDisc, QColor(0x4e, 0x79, 0xa7, 120), 3));
    m_generated->setName(tr("generated"));
    m_centres = addGraph();
    m_centres->setLineStyle(QCPGraph::lsNone);
    m_centres->setScatterStyle(QCPScatterStyle(
        QCPScatterStyle::ssCross, QPen(QColor(0xe1, 0x57, 0x59), 1.5), Qt::NoBrush, 7));
    m_centres->setName(tr("modes (3σ circle)"));
    for (QCPGraph* g : {m_real, m_generated, m_centres}) g->setAdaptiveSampling(false);
    // The mode markers go on a layer of their own above the points: a well-covered mode hides
    // its circle under hundreds of dots otherwise.
    addLayer(QStringLiteral("modes"), layer(QStringLiteral("main")), QCustomPlot::limAbove);
    m_centres->setLayer(QStringLiteral("modes"));
    legend->setVisible(true);
    legend->setFont(QFont(font().family(), font().pointSize() - 1));
    legend->setBrush(QColor(255, 255, 255, 210));
    axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    for (QCPAxis* axis : {xAxis, yAxis}) axis->grid()->setPen(QPen(QColor(0, 0, 0, 25)));
    connect(this, &QCustomPlot::afterLayout, this, &PointsPlot::equalizeScales);
}

int PointsPlot::generatedCount() const {
    return m_generated->dataCount();
}

int PointsPlot::realCount() const {
    return m_real->dataCount();
}

bool PointsPlot::setPoints(const QByteArray& json, QString* error) {
    QJsonParseError parse{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parse);
    if (!doc.isObject()) {
        *error = tr("the points sample is not a JSON object (%1)").arg(parse.errorString());
        return false;
    }
    const QJsonObject o = doc.object();
    QVector<double> gx, gy, rx, ry, mx, my;
    if (!readPairs(o.value(QStringLiteral("generated")), &gx, &gy) ||
        !readPairs(o.value(QStringLiteral("real")), &rx, &ry) ||
        !readPairs(o.value(QStringLiteral("modes")), &mx, &my)) {
        *error = tr("the points sample has an entry that is not an [x, y] pair");
        return false;
    }
    const double std = o.value(QStringLiteral("std")).toDouble(0);
    m_real->setData(rx, ry);
    m_generated->setData(gx, gy);
    m_centres->setData(mx, my);
    clearItems();
    m_modeCount = static_cast<int>(mx.size());
    if (std > 0) {
        const double r = 3 * std;
        for (int i = 0; i < mx.size(); ++i) {
            auto* circle = new QCPItemEllipse(this);
            circle->topLeft->setCoords(mx[i] - r, my[i] + r);
            circle->bottomRight->setCoords(mx[i] + r, my[i] - r);
            circle->setPen(QPen(QColor(0xe1, 0x57, 0x59, 220), 1.5));
            circle->setLayer(QStringLiteral("modes"));
        }
    }
    fitSquare();
    replot();
    return true;
}

void PointsPlot::fitSquare() {
    rescaleAxes();
    const QCPRange x = xAxis->range();
    const QCPRange y = yAxis->range();
    m_centre = QPointF(x.center(), y.center());
    m_span = std::max({x.size(), y.size(), 1e-6}) * 1.1;
    m_fittedSize = QSize();
    equalizeScales();
}

// Equal scales on both axes, or the ring of modes would look like an ellipse. Runs after each
// layout but refits only when the axis rect changed size, so panning and zooming stay put.
void PointsPlot::equalizeScales() {
    const QSize size = axisRect()->size();
    if (size.width() <= 0 || size.height() <= 0 || size == m_fittedSize) return;
    m_fittedSize = size;
    const double perPixel = m_span / std::min(size.width(), size.height());
    xAxis->setRange(m_centre.x(), perPixel * size.width(), Qt::AlignCenter);
    yAxis->setRange(m_centre.y(), perPixel * size.height(), Qt::AlignCenter);
    // Ticks were computed before the layout step; draw again with the new ranges.
    replot(rpQueuedReplot);
}

}  // namespace wb::ui
