// LiveView: the selected run, live or from history: loss, throughput and memory curves, any other
// metric on demand, progress with ETA, the latest sample and the run's log.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <QTimer>
#include <QWidget>

#include "engine/api/run_event.h"
#include "ui/run_trace.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QSlider;
class QTabWidget;

namespace wb::storage {
class RunStore;
struct RunRow;
}  // namespace wb::storage

namespace wb::ui {

class MetricPlot;
class RunLogView;
class RunProgress;
class SamplePreview;

class LiveView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LiveView)

public:
    /// At most ~30 replots per second however fast batches arrive.
    static constexpr int kFrameIntervalMs = 33;
    /// Replot time one frame may use before the remaining plots wait for the next frame.
    static constexpr int kFrameBudgetMs = 12;
    /// Runs log every step, so a plot holds many points per pixel: light smoothing shows little.
    static constexpr double kDefaultSmoothing = 0.8;

    explicit LiveView(QWidget* parent = nullptr);

    /// Forgets every run: they belong to the previous database.
    void setStore(const storage::RunStore* store);
    /// Keeps every run's events; the selected run's new points go straight into the plots.
    void appendEvents(const std::vector<api::RunEvent>& events);
    /// Shows run `id` (0: none). Runs not streamed in this session are loaded from the store.
    void showRun(int64_t id);
    int64_t shownRun() const { return m_shown; }
    /// Drops everything kept of run `id` (it was deleted); shows no run if it was shown.
    void forgetRun(int64_t id);
    /// Takes the name and step target from the run's row (renamed, continued for more steps);
    /// a run that is not streaming also takes its status and progress from it.
    void syncRow(const storage::RunRow& row);
    /// nullptr when the run is neither live nor shown.
    const RunTrace* trace(int64_t id) const;

    MetricPlot* lossPlot() const { return m_loss; }
    MetricPlot* throughputPlot() const { return m_throughput; }
    MetricPlot* memoryPlot() const { return m_memory; }
    MetricPlot* otherPlot() const { return m_other; }
    QComboBox* otherPicker() const { return m_otherPicker; }
    SamplePreview* samplePreview() const { return m_sample; }
    RunProgress* progress() const { return m_progress; }

    /// Selects the x axis: training step, or training wall time in seconds.
    void setWallTimeAxis(bool wall);
    void setSmoothing(double weight);
    void setLossLogScale(bool on);

signals:
    /// Reading a stored run failed; the message names the database and the cause.
    void loadFailed(const QString& message);

private:
    RunTrace* shownTrace();
    RunTrace& liveTrace(int64_t id);
    MetricPlot* plotFor(const QString& metric, const QString& kind) const;
    void feed(const QString& metric, const MetricSeries& series, int from);
    void rebuildPlots();
    /// feedPick: plot a newly picked metric now (false when the caller feeds every series).
    void updateOtherPicker(bool feedPick);
    void frame();

    const storage::RunStore* m_store = nullptr;
    std::map<int64_t, RunTrace> m_live;
    RunTrace m_stored;  ///< the shown run when it is not live
    int64_t m_shown = 0;
    bool m_wallAxis = false;
    QString m_otherMetric;
    /// The user picked m_otherMetric; until then a quality metric is preferred as it appears.
    bool m_otherChosen = false;
    std::size_t m_nextPlot = 0;                       ///< where the next frame starts replotting
    std::map<const MetricPlot*, QString> m_leftUnit;  ///< the unit of each plot's left axis

    RunProgress* m_progress = nullptr;
    MetricPlot* m_loss = nullptr;
    MetricPlot* m_throughput = nullptr;
    MetricPlot* m_memory = nullptr;
    MetricPlot* m_other = nullptr;
    QComboBox* m_otherPicker = nullptr;
    QComboBox* m_xAxis = nullptr;
    QSlider* m_smoothing = nullptr;
    QLabel* m_smoothingValue = nullptr;
    QCheckBox* m_logScale = nullptr;
    QTabWidget* m_side = nullptr;
    SamplePreview* m_sample = nullptr;
    RunLogView* m_log = nullptr;
    QTimer m_frameTimer;
};

}  // namespace wb::ui
