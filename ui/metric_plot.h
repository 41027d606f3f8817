// MetricPlot: one live chart of one or more metric series. Points are appended (never rebuilt),
// each series is drawn raw and faint with an EMA-smoothed line on top, and replots are throttled.
#pragma once

#include <map>

#include <QVector>

#include "qcustomplot.h"
#include "ui/graph_detail.h"

namespace wb::ui {

class MetricPlot final : public QCustomPlot {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MetricPlot)

public:
    /// Series of a second unit (tokens/s next to samples/s) go on an axis of their own.
    enum class ValueAxis { Left, Right };

    explicit MetricPlot(const QString& title, QWidget* parent = nullptr);

    void setTitle(const QString& title);
    void setAxisLabels(const QString& x, const QString& y);
    /// The label of the right value axis, shown once a series is on it.
    void setRightAxisLabel(const QString& y);
    /// The text shown while the plot has no series.
    void setEmptyText(const QString& text);

    void clearSeries();
    /// Appends points (keys ascending) to the series `name`, creating it on first use in
    /// `color`, or in the next palette colour when `color` is invalid, on value axis `axis`.
    /// `otherKeys` (optional) holds each point's other coordinate, the wall time of a step or the
    /// step of a wall time, for the hover text.
    void append(const QString& name, const QVector<double>& keys, const QVector<double>& values,
                const QColor& color = QColor(), ValueAxis axis = ValueAxis::Left,
                const QVector<double>& otherKeys = {});
    /// Whether the x axis is training time (the other key is then the step), for the hover text.
    void setWallTimeKeys(bool wall) { m_wallKeys = wall; }
    /// The run or runs the plot shows ("#4 gpt baseline"); a saved plot names them in its title.
    void setRunLabel(const QString& label) { m_runLabel = label; }
    /// The title a saved PNG or PDF gets: the plot's title and its run label.
    QString exportTitle() const;
    /// Writes a PNG (twice the screen size, sharp on a slide) or a PDF titled exportTitle().
    bool saveTo(const QString& path, bool pdf);
    /// The nearest point of each series to x = `key`: step, wall time and value, as rich text.
    QString hoverText(double key) const;
    /// EMA weight in [0, 1): 0 draws the raw curve only.
    void setSmoothing(double weight);
    void setLogScale(bool on);
    /// Off where a shared legend already names the series (the compare view); by default the
    /// legend shows whenever there is more than one series.
    void setLegendShown(bool shown);
    bool logScale() const { return m_logScale; }
    /// Fits the axes to the data again and keeps following new points (also on double-click).
    void follow();

    /// Replots when points arrived since the last call; called by the view's frame timer so a
    /// burst of batches costs one replot per frame.
    void refresh();
    bool needsRefresh() const { return m_dirty; }

    QStringList seriesNames() const;
    /// nullptr when there is no such series. A graph holds every point of its series unless
    /// the series has many more points in view than the plot has pixels: then it holds a
    /// min/max summary (see GraphDetail); rawData() has every point.
    QCPGraph* rawGraph(const QString& name) const;
    QCPGraph* smoothGraph(const QString& name) const;
    QSharedPointer<QCPGraphDataContainer> rawData(const QString& name) const;
    /// The colour of the next series, for series shared across plots.
    static QColor seriesColor(int index);

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    /// Offers to save the plot as PNG or PDF.
    void contextMenuEvent(QContextMenuEvent* event) override;

private:
    struct Series {
        QCPGraph* raw = nullptr;
        QCPGraph* smooth = nullptr;
        GraphDetail rawDetail, smoothDetail;  ///< every point, and summaries for zoomed-out views
        QCPGraphDataContainer otherKeys;      ///< key → the point's other key, for hovering
        double ema = 0;  ///< biased running average; divided by (1 - w^n) when drawn
        int count = 0;   ///< finite points folded into ema
        // Extents kept as points arrive, so that following the data costs nothing per frame
        // (QCustomPlot's rescale walks every point). The EMA stays within the raw extent.
        double keyMin = 0, keyMax = 0, valueMin = 0, valueMax = 0;
        double positiveMin = 0;  ///< smallest value > 0, the floor of a log axis; 0: none yet
        bool hasExtent = false;
        bool right = false;  ///< on the right value axis
    };

    void appendSmoothed(Series& s, const QVector<double>& keys, const QVector<double>& values);
    void restyle(Series& s);
    void fitToData();
    /// Before each replot: full data or a summary per graph, for the visible key range.
    void chooseDetail();
    void updateDecorations();

    std::map<QString, Series> m_series;
    QCPTextElement* m_title = nullptr;
    QCPItemText* m_empty = nullptr;
    double m_smoothing = 0.6;
    bool m_logScale = false;
    bool m_legendShown = true;
    bool m_wallKeys = false;
    QString m_runLabel;
    bool m_dirty = true;
    /// Cleared when the user drags or zooms, so new points do not undo the zoom.
    bool m_follow = true;
};

}  // namespace wb::ui
