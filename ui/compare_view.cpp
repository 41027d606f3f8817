#include "ui/compare_view.h"

#include <algorithm>

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QSplitter>
#include <QVBoxLayout>

#include "storage/run_store.h"
#include "ui/compare_tables.h"
#include "ui/metric_plot.h"
#include "ui/metric_roles.h"

namespace wb::ui {
namespace {

constexpr int kPlotHeight = 240;
constexpr int kNameChars = 24;

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
    reloadButton->setToolTip(tr("Read the runs again: runs still training have new points."));
    bar->addWidget(m_legend, 1);
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
    auto* split = new QSplitter(Qt::Vertical, this);
    split->setObjectName(QStringLiteral("compareSplit"));
    split->addWidget(scroll);
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
    setRuns({});
}

void CompareView::setStore(const storage::RunStore* store) {
    m_store = store;
    setRuns({});
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
    rebuildPlots();
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

    const QString xLabel = m_wallAxis ? tr("training time (s)") : tr("step");
    for (int i = 0; i < names.size(); ++i) {
        const QString& metric = names[i];
        auto* plot = new MetricPlot(metric, m_plotArea);
        plot->setMinimumHeight(kPlotHeight);
        plot->setLegendShown(false);  // the colour key above the plots names every run once
        plot->setSmoothing(m_smoothing);
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
                         values, MetricPlot::seriesColor(static_cast<int>(r)));
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
