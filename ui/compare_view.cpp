#include "ui/compare_view.h"

#include <algorithm>
#include <limits>

#include <QComboBox>
#include <QCryptographicHash>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSplitter>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include "storage/run_store.h"
#include "ui/compare_samples.h"
#include "ui/compare_tables.h"
#include "ui/metric_plot.h"
#include "ui/metric_roles.h"

namespace wb::ui {
namespace {

constexpr int kPlotHeight = 240;
constexpr int kNameChars = 24;

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

}  // namespace

CompareView::CompareView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    m_legend = new QLabel(this);
    m_legend->setWordWrap(true);
    m_xAxis = new QComboBox(this);
    m_xAxis->addItems({tr("Step"), tr("Wall time")});
    m_smoothingSlider = new QSlider(Qt::Horizontal, this);
    m_smoothingSlider->setRange(0, 99);
    m_smoothingSlider->setValue(80);
    m_smoothingSlider->setMaximumWidth(140);
    auto* reloadButton = new QPushButton(tr("Reload"), this);
    reloadButton->setToolTip(
        tr("Read the runs again. Runs still training add their new points by themselves."));
    m_metricButton = new QToolButton(this);
    m_metricButton->setPopupMode(QToolButton::InstantPopup);
    m_metricButton->setMenu(new QMenu(m_metricButton));
    m_metricButton->setToolTip(tr("Choose the metrics on the board; kept for this database."));
    bar->addWidget(m_legend, 1);
    bar->addWidget(m_metricButton);
    bar->addWidget(new QLabel(tr("X axis"), this));
    bar->addWidget(m_xAxis);
    bar->addSpacing(12);
    bar->addWidget(new QLabel(tr("Smoothing"), this));
    bar->addWidget(m_smoothingSlider);
    bar->addWidget(reloadButton);
    layout->addLayout(bar);

    m_plotArea = new QWidget;
    m_grid = new QGridLayout(m_plotArea);
    m_grid->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_plotArea);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_tables = new CompareTables(this);
    m_samples = new CompareSamples(this);
    m_views = new QTabWidget(this);
    m_views->setDocumentMode(true);
    m_views->addTab(scroll, tr("Curves"));
    m_views->addTab(m_samples, tr("Samples"));
    auto* split = new QSplitter(Qt::Vertical, this);
    split->setObjectName(QStringLiteral("compareSplit"));
    split->addWidget(m_views);
    split->addWidget(m_tables);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setSizes({kPlotHeight * 2, kPlotHeight});
    layout->addWidget(split, 1);

    connect(m_xAxis, &QComboBox::currentIndexChanged, this,
            [this](int index) { setWallTimeAxis(index == 1); });
    connect(m_smoothingSlider, &QSlider::valueChanged, this,
            [this](int v) { setSmoothing(v / 100.0); });
    connect(reloadButton, &QPushButton::clicked, this, &CompareView::reload);
    // Samples are read when their tab is first looked at: image runs hold many.
    connect(m_views, &QTabWidget::currentChanged, this, [this](int index) {
        if (m_views->widget(index) != m_samples) return;
        try {
            m_samples->load();
        } catch (const storage::StorageError& e) {
            emit loadFailed(QString::fromUtf8(e.what()));
        }
    });
    m_liveTimer.setInterval(kLiveRefreshMs);
    connect(&m_liveTimer, &QTimer::timeout, this, &CompareView::refreshLive);
    m_liveTimer.start();
    setRuns({});
}

QString CompareView::hiddenKey() const {
    const QByteArray path = m_store ? QByteArray::fromStdString(m_store->path()) : QByteArray();
    return QStringLiteral("compare/hidden/") +
           QString::fromLatin1(QCryptographicHash::hash(path, QCryptographicHash::Md5).toHex());
}

void CompareView::setStore(const storage::RunStore* store) {
    m_store = store;
    m_hidden = QSettings().value(hiddenKey()).toStringList();
    m_liveTimer.start();
    setRuns({});
}

void CompareView::forgetRun(int64_t id) {
    const auto it = std::find(m_ids.begin(), m_ids.end(), id);
    if (it == m_ids.end()) return;
    m_ids.erase(it);
    reload();
}

void CompareView::setMetricShown(const QString& metric, bool shown) {
    if (shown == !m_hidden.contains(metric)) return;
    if (shown)
        m_hidden.removeAll(metric);
    else
        m_hidden.append(metric);
    m_hidden.sort();
    QSettings().setValue(hiddenKey(), m_hidden);
    rebuildPlots();
    fillMetricMenu();
}

void CompareView::fillMetricMenu() {
    QMenu* menu = m_metricButton->menu();
    menu->clear();
    QStringList names;
    for (const RunTrace& t : m_traces)
        for (const auto& [name, s] : t.metrics)
            if (!names.contains(name)) names << name;
    std::sort(names.begin(), names.end(), metricOrder);
    for (const QString& name : names) {
        QAction* a = menu->addAction(name);
        a->setCheckable(true);
        a->setChecked(!m_hidden.contains(name));
        connect(a, &QAction::toggled, this, [this, name](bool on) { setMetricShown(name, on); });
    }
    if (!m_hidden.isEmpty()) {
        menu->addSeparator();
        menu->addAction(tr("Show all"), this, [this] {
            m_hidden.clear();
            QSettings().setValue(hiddenKey(), m_hidden);
            rebuildPlots();
            fillMetricMenu();
        });
    }
    m_metricButton->setText(m_hidden.isEmpty() ? tr("Metrics")
                                               : tr("Metrics (%1 hidden)").arg(m_hidden.size()));
    m_metricButton->setEnabled(!names.isEmpty());
}

void CompareView::showTables() {
    std::vector<QColor> colors;
    for (std::size_t i = 0; i < m_traces.size(); ++i)
        colors.push_back(MetricPlot::seriesColor(static_cast<int>(i)));
    m_tables->setRuns(m_traces, colors);
}

void CompareView::setRuns(const std::vector<int64_t>& ids) {
    // Oldest first, so that a run keeps its colour when more runs join the comparison.
    m_ids = ids;
    std::sort(m_ids.begin(), m_ids.end());
    reload();
}

void CompareView::reload() {
    m_traces.clear();
    if (m_store) {
        try {
            for (int64_t id : m_ids) m_traces.push_back(RunTrace::load(*m_store, id));
        } catch (const storage::StorageError& e) {
            m_traces.clear();
            emit loadFailed(QString::fromUtf8(e.what()));
        }
    }
    std::vector<QColor> colors;
    QStringList chips;
    for (std::size_t i = 0; i < m_traces.size(); ++i) {
        colors.push_back(MetricPlot::seriesColor(static_cast<int>(i)));
        chips << QStringLiteral("<span style=\"color:%1\">■</span> %2")
                     .arg(colors.back().name(), seriesName(m_traces[i]).toHtmlEscaped());
    }
    m_legend->setText(chips.isEmpty()
                          ? tr("Select two or more runs in the history and press Compare.")
                          : chips.join(QStringLiteral("&nbsp;&nbsp;&nbsp;")));
    m_tables->setRuns(m_traces, colors);
    m_samples->setRuns(m_store, m_traces, colors);
    if (m_views->currentWidget() == m_samples) {
        try {
            m_samples->load();
        } catch (const storage::StorageError& e) {
            emit loadFailed(QString::fromUtf8(e.what()));
        }
    }
    rebuildPlots();
    fillMetricMenu();
}

// Runs still training grow by what the store got since the last look; a run that was continued
// meanwhile rewrote steps, so it is read again whole.
void CompareView::refreshLive() {
    if (!m_store || m_traces.empty()) return;
    bool again = false, grew = false, newPlot = false;
    try {
        for (std::size_t r = 0; r < m_traces.size(); ++r) {
            RunTrace& t = m_traces[r];
            const auto row = m_store->get_run(t.id);
            if (!row) continue;
            const api::RunStatus status = row->status;
            again = again || (api::is_final(t.status) && !api::is_final(status));
            if (api::is_final(t.status)) continue;
            for (const auto& name : m_store->metric_names(t.id)) {
                MetricSeries& series = t.metrics[qs(name)];
                const auto points = m_store->metrics_after(
                    t.id, name,
                    series.steps.isEmpty() ? std::numeric_limits<int64_t>::min()
                                           : static_cast<int64_t>(series.steps.back()));
                if (points.empty()) continue;
                QVector<double> steps, walls, values;
                for (const auto& p : points) {
                    steps.append(static_cast<double>(p.step));
                    walls.append(p.wall_s);
                    values.append(p.value * displayScale(qs(name), t.model));
                    series.steps.append(static_cast<double>(p.step));
                    series.walls.append(p.wall_s);
                    series.values.append(p.value);
                }
                grew = true;
                MetricPlot* p = plot(qs(name));
                if (!p) {
                    newPlot = newPlot || !m_hidden.contains(qs(name));
                    continue;
                }
                p->append(seriesName(t), m_wallAxis ? walls : steps, values,
                          MetricPlot::seriesColor(static_cast<int>(r)), MetricPlot::ValueAxis::Left,
                          m_wallAxis ? steps : walls);
                p->refresh();
            }
            t.name = qs(row->name);
            t.status = status;
            t.step = row->steps_done;
            t.totalSteps = row->total_steps;
            t.wall_s = row->wall_s;
        }
    } catch (const storage::StorageError& e) {
        m_liveTimer.stop();  // once: the timer would repeat the message
        emit loadFailed(QString::fromUtf8(e.what()));
        return;
    }
    if (again) {
        reload();
        return;
    }
    if (newPlot) {
        rebuildPlots();
        fillMetricMenu();
    }
    if (grew) showTables();
}

QString CompareView::seriesName(const RunTrace& t) const {
    const QString name =
        t.name.size() > kNameChars ? t.name.left(kNameChars - 1) + QStringLiteral("…") : t.name;
    return QStringLiteral("#%1 %2").arg(t.id).arg(name);
}

void CompareView::rebuildPlots() {
    for (auto& [name, plot] : m_plots) delete plot;
    m_plots.clear();
    QStringList names;
    for (const RunTrace& t : m_traces)
        for (const auto& [name, s] : t.metrics)
            if (!names.contains(name)) names << name;
    std::sort(names.begin(), names.end(), metricOrder);
    for (const QString& hidden : m_hidden) names.removeAll(hidden);
    QStringList runNames;
    for (const RunTrace& t : m_traces) runNames << seriesName(t);

    const QString xLabel = m_wallAxis ? tr("training time (s)") : tr("step");
    for (int i = 0; i < names.size(); ++i) {
        const QString& metric = names[i];
        auto* plot = new MetricPlot(metric, m_plotArea);
        plot->setMinimumHeight(kPlotHeight);
        plot->setLegendShown(false);  // the colour key above the plots names every run once
        plot->setSmoothing(m_smoothing);
        plot->setWallTimeKeys(m_wallAxis);
        plot->setRunLabel(runNames.join(QStringLiteral(", ")));
        // Runs of different models can give one name different units (loss/val of a VAE and of
        // a GPT): the axis then names each.
        QStringList units;
        for (std::size_t r = 0; r < m_traces.size(); ++r) {
            const auto it = m_traces[r].metrics.find(metric);
            if (it == m_traces[r].metrics.end()) continue;
            const QString unit = displayUnit(metric, m_traces[r].model);
            if (!units.contains(unit)) units << unit;
            const double scale = displayScale(metric, m_traces[r].model);
            QVector<double> values = it->second.values;
            if (scale != 1.0)
                for (double& v : values) v *= scale;
            plot->append(seriesName(m_traces[r]), m_wallAxis ? it->second.walls : it->second.steps,
                         values, MetricPlot::seriesColor(static_cast<int>(r)),
                         MetricPlot::ValueAxis::Left,
                         m_wallAxis ? it->second.steps : it->second.walls);
        }
        units.removeAll(QString());
        plot->setAxisLabels(xLabel, units.join(QStringLiteral(" | ")));
        plot->refresh();
        m_grid->addWidget(plot, i / 2, i % 2);
        m_plots[metric] = plot;
    }
}

MetricPlot* CompareView::plot(const QString& metric) const {
    const auto it = m_plots.find(metric);
    return it == m_plots.end() ? nullptr : it->second;
}

QStringList CompareView::metrics() const {
    QStringList names;
    for (const auto& [name, plot] : m_plots) names << name;
    std::sort(names.begin(), names.end(), metricOrder);
    return names;
}

void CompareView::setWallTimeAxis(bool wall) {
    if (wall == m_wallAxis) return;
    m_wallAxis = wall;
    const QSignalBlocker blocker(m_xAxis);
    m_xAxis->setCurrentIndex(wall ? 1 : 0);
    rebuildPlots();
}

void CompareView::setSmoothing(double weight) {
    m_smoothing = weight;
    for (auto& [name, plot] : m_plots) {
        plot->setSmoothing(weight);
        plot->refresh();
    }
    const QSignalBlocker blocker(m_smoothingSlider);
    m_smoothingSlider->setValue(qRound(weight * 100));
}

}  // namespace wb::ui
