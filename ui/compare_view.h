// CompareView: two or more runs side by side: overlaid curves for every metric (one colour per
// run across all plots), x axis and smoothing like the live view, and the summary/diff tables.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <QTimer>
#include <QWidget>

#include "ui/run_trace.h"

class QComboBox;
class QGridLayout;
class QLabel;
class QSlider;
class QTabWidget;
class QToolButton;

namespace wb::storage {
class RunStore;
}

namespace wb::ui {

class CompareSamples;
class CompareTables;
class MetricPlot;

class CompareView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CompareView)

public:
    explicit CompareView(QWidget* parent = nullptr);

    void setStore(const storage::RunStore* store);
    /// Loads the runs from the store and shows them, oldest first (the first is the baseline).
    void setRuns(const std::vector<int64_t>& ids);
    /// Reads the runs again (a run that is still training has grown).
    void reload();
    /// Appends what runs still training have recorded since; the timer calls it.
    void refreshLive();
    /// Drops a deleted run from the comparison.
    void forgetRun(int64_t id);
    const std::vector<int64_t>& runs() const { return m_ids; }
    const std::vector<RunTrace>& traces() const { return m_traces; }

    /// Metrics the user took off the board, kept per database.
    QStringList hiddenMetrics() const { return m_hidden; }
    void setMetricShown(const QString& metric, bool shown);
    CompareSamples* samples() const { return m_samples; }

    static constexpr int kLiveRefreshMs = 2000;

    /// nullptr when no compared run has that metric, or when it is hidden.
    MetricPlot* plot(const QString& metric) const;
    QStringList metrics() const;
    CompareTables* tables() const { return m_tables; }
    void setWallTimeAxis(bool wall);
    void setSmoothing(double weight);

signals:
    void loadFailed(const QString& message);

private:
    void rebuildPlots();
    void fillMetricMenu();
    void showTables();
    QString seriesName(const RunTrace& t) const;
    QString hiddenKey() const;

    const storage::RunStore* m_store = nullptr;
    std::vector<int64_t> m_ids;
    std::vector<RunTrace> m_traces;
    std::map<QString, MetricPlot*> m_plots;
    QStringList m_hidden;
    QTimer m_liveTimer;
    bool m_wallAxis = false;
    double m_smoothing = 0.8;

    QLabel* m_legend = nullptr;
    QComboBox* m_xAxis = nullptr;
    QSlider* m_smoothingSlider = nullptr;
    QWidget* m_plotArea = nullptr;
    QGridLayout* m_grid = nullptr;
    CompareTables* m_tables = nullptr;
    CompareSamples* m_samples = nullptr;
    QTabWidget* m_views = nullptr;
    QToolButton* m_metricButton = nullptr;
};

}  // namespace wb::ui
