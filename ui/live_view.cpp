#include "ui/live_view.h"

#include <array>

#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

#include "storage/run_store.h"
#include "ui/metric_plot.h"
#include "ui/metric_roles.h"
#include "ui/run_log_view.h"
#include "ui/run_progress.h"
#include "ui/sample_preview.h"

namespace wb::ui {
namespace {

// Losses, throughput and memory have plots of their own; the rest is picked one at a time.
bool isGrouped(const QString& metric, const QString& kind) {
    const api::PlotGroup g = plotGroup(metric, kind);
    return g == api::PlotGroup::Loss || g == api::PlotGroup::Throughput ||
           g == api::PlotGroup::Memory;
}

}  // namespace

LiveView::LiveView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    m_progress = new RunProgress(this);
    layout->addWidget(m_progress);

    auto* options = new QHBoxLayout;
    m_xAxis = new QComboBox(this);
    m_xAxis->addItems({tr("Step"), tr("Wall time")});
    m_xAxis->setToolTip(
        tr("Step compares runs per update; wall time shows what a setting costs "
           "in seconds of training (paused time excluded)."));
    m_smoothing = new QSlider(Qt::Horizontal, this);
    m_smoothing->setRange(0, 99);
    m_smoothing->setValue(80);
    m_smoothing->setMaximumWidth(160);
    m_smoothing->setToolTip(
        tr("Exponential moving average of the curves; the raw values stay "
           "faint behind. 0 shows the raw values only."));
    m_smoothingValue = new QLabel(this);
    m_logScale = new QCheckBox(tr("Log-scale losses"), this);
    m_logScale->setToolTip(
        tr("Losses often fall over decades; a log axis keeps the late, "
           "small improvements visible."));
    auto* fit = new QPushButton(tr("Fit all"), this);
    fit->setToolTip(tr("Fit every plot to its data and follow new points again."));
    options->addWidget(new QLabel(tr("X axis"), this));
    options->addWidget(m_xAxis);
    options->addSpacing(12);
    options->addWidget(new QLabel(tr("Smoothing"), this));
    options->addWidget(m_smoothing);
    options->addWidget(m_smoothingValue);
    options->addSpacing(12);
    options->addWidget(m_logScale);
    options->addStretch(1);
    options->addWidget(fit);
    layout->addLayout(options);

    auto* plots = new QWidget(this);
    auto* grid = new QGridLayout(plots);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(4);
    m_loss = new MetricPlot(tr("Losses"), plots);
    m_throughput = new MetricPlot(tr("Throughput"), plots);
    m_memory = new MetricPlot(tr("Memory"), plots);
    auto* otherBox = new QWidget(plots);
    auto* otherLayout = new QVBoxLayout(otherBox);
    otherLayout->setContentsMargins(0, 0, 0, 0);
    otherLayout->setSpacing(2);
    auto* pickerRow = new QHBoxLayout;
    m_otherPicker = new QComboBox(otherBox);
    m_otherPicker->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_otherPicker->setToolTip(
        tr("Any other metric the run reports: quality, learning rate, "
           "step time, ..."));
    pickerRow->addWidget(new QLabel(tr("Metric"), otherBox));
    pickerRow->addWidget(m_otherPicker, 1);
    otherLayout->addLayout(pickerRow);
    m_other = new MetricPlot(tr("Other metric"), otherBox);
    otherLayout->addWidget(m_other, 1);
    grid->addWidget(m_loss, 0, 0);
    grid->addWidget(m_throughput, 0, 1);
    grid->addWidget(m_memory, 1, 0);
    grid->addWidget(otherBox, 1, 1);
    for (int i = 0; i < 2; ++i) {
        grid->setColumnStretch(i, 1);
        grid->setRowStretch(i, 1);
    }
    m_throughput->setEmptyText(tr("no throughput metrics yet"));
    m_memory->setEmptyText(tr("no memory metrics yet"));
    m_other->setEmptyText(tr("pick a metric above"));

    m_side = new QTabWidget(this);
    m_sample = new SamplePreview(m_side);
    m_log = new RunLogView(m_side);
    m_side->addTab(m_sample, tr("Sample"));
    m_side->addTab(m_log, tr("Log"));

    auto* split = new QSplitter(Qt::Horizontal, this);
    split->setObjectName(QStringLiteral("liveSplit"));
    split->addWidget(plots);
    split->addWidget(m_side);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);

    connect(m_xAxis, &QComboBox::currentIndexChanged, this,
            [this](int index) { setWallTimeAxis(index == 1); });
    connect(m_smoothing, &QSlider::valueChanged, this, [this](int v) { setSmoothing(v / 100.0); });
    connect(m_logScale, &QCheckBox::toggled, this, &LiveView::setLossLogScale);
    connect(fit, &QPushButton::clicked, this, [this] {
        for (MetricPlot* p : {m_loss, m_throughput, m_memory, m_other}) p->follow();
    });
    connect(m_otherPicker, &QComboBox::currentTextChanged, this, [this](const QString& metric) {
        if (metric.isEmpty() || metric == m_otherMetric) return;
        m_otherChosen = true;
        m_otherMetric = metric;
        m_other->clearSeries();
        m_other->setTitle(metric);
        if (const RunTrace* t = shownTrace()) {
            const auto it = t->metrics.find(metric);
            if (it != t->metrics.end()) feed(metric, it->second, 0);
        }
    });
    connect(m_log, &RunLogView::errorCountChanged, this, [this](int errors) {
        m_side->setTabText(1, errors > 0
                                  ? tr("Log (%1 error%2)").arg(errors).arg(errors > 1 ? "s" : "")
                                  : tr("Log"));
    });

    m_frameTimer.setInterval(kFrameIntervalMs);
    connect(&m_frameTimer, &QTimer::timeout, this, &LiveView::frame);
    m_frameTimer.start();
    setSmoothing(kDefaultSmoothing);
    rebuildPlots();
}

void LiveView::setStore(const storage::RunStore* store) {
    m_store = store;
    m_live.clear();
    m_stored = RunTrace{};
    showRun(0);
}

const RunTrace* LiveView::trace(int64_t id) const {
    const auto it = m_live.find(id);
    if (it != m_live.end()) return &it->second;
    return id != 0 && m_stored.id == id ? &m_stored : nullptr;
}

RunTrace* LiveView::shownTrace() {
    return const_cast<RunTrace*>(trace(m_shown));
}

RunTrace& LiveView::liveTrace(int64_t id) {
    auto it = m_live.find(id);
    if (it != m_live.end()) return it->second;
    RunTrace t;
    if (m_stored.id == id) {
        // The shown run has just started streaming: what was loaded of it is its beginning.
        t = std::move(m_stored);
        m_stored = RunTrace{};
    } else if (m_store) {
        try {
            if (const auto row = m_store->get_run(id)) {
                t.name = QString::fromStdString(row->name);
                t.model = QString::fromStdString(row->model);
                t.totalSteps = row->total_steps;
                t.status = row->status;
            }
        } catch (const storage::StorageError&) {
            // The events still show; only the name and step count are missing.
        }
    }
    t.id = id;
    return m_live.emplace(id, std::move(t)).first->second;
}

void LiveView::appendEvents(const std::vector<api::RunEvent>& events) {
    // What the shown run had before this batch, so that only the new tail is plotted.
    std::map<QString, int> sizesBefore;
    int sampleSerialBefore = 0;
    std::size_t logBefore = 0;
    if (const RunTrace* t = shownTrace()) {
        for (const auto& [name, s] : t->metrics)
            sizesBefore[name] = static_cast<int>(s.values.size());
        sampleSerialBefore = t->sampleSerial;
        logBefore = t->log.size();
    }
    bool touchedShown = false;
    for (const auto& e : events) {
        liveTrace(e.run_id).append(e);
        touchedShown = touchedShown || e.run_id == m_shown;
    }
    if (!touchedShown) return;
    RunTrace* t = shownTrace();
    bool newMetric = false;
    for (const auto& [name, s] : t->metrics) {
        const auto it = sizesBefore.find(name);
        const int from = it == sizesBefore.end() ? 0 : it->second;
        newMetric = newMetric || it == sizesBefore.end();
        if (s.values.size() > from) feed(name, s, from);
    }
    if (newMetric) updateOtherPicker(/*feedPick=*/true);
    if (t->sampleSerial != sampleSerialBefore) m_sample->showSample(t->sample);
    if (t->log.size() > logBefore) m_log->appendLines(t->log, logBefore);
    m_progress->showTrace(t);
}

void LiveView::showRun(int64_t id) {
    m_shown = id;
    if (id != 0 && m_live.count(id) == 0) {
        m_stored = RunTrace{};
        try {
            if (m_store) m_stored = RunTrace::load(*m_store, id);
            m_stored.id = id;
        } catch (const storage::StorageError& e) {
            m_shown = 0;
            emit loadFailed(QString::fromUtf8(e.what()));
        }
    }
    rebuildPlots();
}

void LiveView::forgetRun(int64_t id) {
    m_live.erase(id);
    if (m_stored.id == id) m_stored = RunTrace{};
    if (m_shown == id) showRun(0);
}

void LiveView::syncRow(const storage::RunRow& row) {
    const auto live = m_live.find(row.id);
    RunTrace* t =
        live != m_live.end() ? &live->second : (m_stored.id == row.id ? &m_stored : nullptr);
    if (!t) return;
    const QString name = QString::fromStdString(row.name);
    bool changed = t->name != name || t->totalSteps != row.total_steps;
    t->name = name;
    t->totalSteps = row.total_steps;
    // A streaming run's own events are newer than its row; a stored run has only the row.
    if (live == m_live.end()) {
        const api::RunStatus status = row.status;
        changed = changed || t->status != status || t->step != row.steps_done;
        t->status = status;
        t->step = row.steps_done;
        t->wall_s = row.wall_s;
    }
    if (!changed || row.id != m_shown) return;
    m_progress->showTrace(t);
    for (MetricPlot* p : {m_loss, m_throughput, m_memory, m_other})
        p->setRunLabel(QStringLiteral("#%1 %2").arg(t->id).arg(t->name));
}

MetricPlot* LiveView::plotFor(const QString& metric, const QString& kind) const {
    switch (plotGroup(metric, kind)) {
        case api::PlotGroup::Loss:
            return m_loss;
        case api::PlotGroup::Throughput:
            return m_throughput;
        case api::PlotGroup::Memory:
            return m_memory;
        default:
            return metric == m_otherMetric ? m_other : nullptr;
    }
}

// The first series of a plot sets the unit of its left axis; a series in another unit
// (tokens/s next to samples/s) goes on the right axis, so neither flattens the other.
void LiveView::feed(const QString& metric, const MetricSeries& series, int from) {
    const RunTrace* t = shownTrace();
    const QString kind = t ? t->model : QString();
    MetricPlot* plot = plotFor(metric, kind);
    if (!plot) return;
    const QString unit = displayUnit(metric, kind);
    if (plot->seriesNames().isEmpty()) {
        m_leftUnit[plot] = unit;
        plot->setAxisLabels(plot->xAxis->label(), unit);
    }
    const bool right = unit != m_leftUnit[plot];
    if (right) plot->setRightAxisLabel(unit);
    const QVector<double>& x = m_wallAxis ? series.walls : series.steps;
    const QVector<double>& other = m_wallAxis ? series.steps : series.walls;
    QVector<double> values = series.values.mid(from);
    if (const double scale = displayScale(metric, kind); scale != 1.0)
        for (double& v : values) v *= scale;
    plot->append(metric, x.mid(from), values, QColor(),
                 right ? MetricPlot::ValueAxis::Right : MetricPlot::ValueAxis::Left,
                 other.mid(from));
}

void LiveView::rebuildPlots() {
    const QString xLabel = m_wallAxis ? tr("training time (s)") : tr("step");
    for (MetricPlot* p : {m_loss, m_throughput, m_memory, m_other}) p->setAxisLabels(xLabel, {});
    for (MetricPlot* p : {m_loss, m_throughput, m_memory, m_other}) p->clearSeries();
    const RunTrace* t = shownTrace();
    for (MetricPlot* p : {m_loss, m_throughput, m_memory, m_other}) {
        p->clearSeries();
        p->setWallTimeKeys(m_wallAxis);
        p->setRunLabel(t ? QStringLiteral("#%1 %2").arg(t->id).arg(t->name) : QString());
    }
    m_loss->setEmptyText(t ? tr("no loss points yet") : tr("no run selected"));
    updateOtherPicker(/*feedPick=*/false);
    if (t)
        for (const auto& [name, s] : t->metrics) feed(name, s, 0);
    m_progress->showTrace(t);
    m_sample->showSample(t ? t->sample : TraceSample{});
    m_log->setLines(t ? t->log : std::vector<TraceLogLine>{});
}

// Lists the metrics that have no plot of their own; prefers a quality metric when the user has
// not picked one, since that is what tells whether a run is any good.
void LiveView::updateOtherPicker(bool feedPick) {
    QStringList names;
    const RunTrace* shown = shownTrace();
    const QString kind = shown ? shown->model : QString();
    if (shown)
        for (const auto& [name, s] : shown->metrics)
            if (!isGrouped(name, kind)) names.append(name);
    QString pick = m_otherChosen && names.contains(m_otherMetric) ? m_otherMetric : QString();
    if (pick.isEmpty()) pick = headlineQuality(names, kind);
    if (pick.isEmpty() && names.contains(m_otherMetric)) pick = m_otherMetric;
    if (pick.isEmpty() && !names.isEmpty()) pick = names.first();
    {
        const QSignalBlocker blocker(m_otherPicker);
        m_otherPicker->clear();
        m_otherPicker->addItems(names);
        for (int i = 0; i < names.size(); ++i)
            m_otherPicker->setItemData(i, metricDescription(names[i], kind), Qt::ToolTipRole);
        m_otherPicker->setCurrentIndex(names.indexOf(pick));
    }
    m_otherPicker->setEnabled(!names.isEmpty());
    if (pick != m_otherMetric || pick.isEmpty()) {
        m_otherMetric = pick;
        m_other->clearSeries();
        m_other->setTitle(pick.isEmpty() ? tr("Other metric") : pick);
        m_other->setEmptyText(names.isEmpty() ? tr("no other metrics yet") : QString());
        if (const RunTrace* t = shownTrace(); feedPick && t && !pick.isEmpty())
            feed(pick, t->metrics.at(pick), 0);
    }
}

void LiveView::setWallTimeAxis(bool wall) {
    if (wall == m_wallAxis) return;
    m_wallAxis = wall;
    {
        const QSignalBlocker blocker(m_xAxis);
        m_xAxis->setCurrentIndex(wall ? 1 : 0);
    }
    rebuildPlots();
}

void LiveView::setSmoothing(double weight) {
    for (MetricPlot* p : {m_loss, m_throughput, m_memory, m_other}) p->setSmoothing(weight);
    m_smoothingValue->setText(QString::number(weight, 'f', 2));
    const QSignalBlocker blocker(m_smoothing);
    m_smoothing->setValue(qRound(weight * 100));
}

void LiveView::setLossLogScale(bool on) {
    m_loss->setLogScale(on);
    const QSignalBlocker blocker(m_logScale);
    m_logScale->setChecked(on);
}

// Replots the plots that changed, but stops once a frame's budget is spent and carries on with the
// next plot in the following frame, so that four large replots never stall the event loop at once.
void LiveView::frame() {
    const std::array<MetricPlot*, 4> plots = {m_loss, m_throughput, m_memory, m_other};
    QElapsedTimer spent;
    spent.start();
    for (std::size_t i = 0; i < plots.size(); ++i) {
        MetricPlot* p = plots[(m_nextPlot + i) % plots.size()];
        if (!p->needsRefresh()) continue;
        p->refresh();
        if (spent.elapsed() >= kFrameBudgetMs) {
            m_nextPlot = (m_nextPlot + i + 1) % plots.size();
            return;
        }
    }
}

}  // namespace wb::ui
