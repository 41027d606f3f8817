// PointsPlot: the mixture2d sample preview: generated points over real ones, with each mode of the
// mixture drawn as a circle of 3 standard deviations (the "high quality" zone) at equal scales.
#pragma once

#include <QByteArray>
#include <QString>

#include "qcustomplot.h"

namespace wb::ui {

class PointsPlot final : public QCustomPlot {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PointsPlot)

public:
    explicit PointsPlot(QWidget* parent = nullptr);

    /// Reads a kSamplePoints JSON document; returns false (and says why) when it is malformed.
    bool setPoints(const QByteArray& json, QString* error);
    int generatedCount() const;
    int realCount() const;
    int modeCount() const { return m_modeCount; }

private:
    void fitSquare();
    void equalizeScales();

    QCPGraph* m_real = nullptr;
    QCPGraph* m_generated = nullptr;
    QCPGraph* m_centres = nullptr;
    int m_modeCount = 0;
    QPointF m_centre;
    double m_span = 1;   ///< data extent that must fit the shorter side of the axis rect
    QSize m_fittedSize;  ///< axis rect size the ranges were fitted for; empty forces a refit
};

}  // namespace wb::ui
