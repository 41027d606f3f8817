#include "ui/compare_tables.h"

#include <cmath>
#include <limits>
#include <map>

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include "engine/api/energy_info.h"
#include "engine/api/fid_extractor_info.h"
#include "engine/api/metric_catalog.h"
#include "ui/config_diff.h"
#include "ui/csv.h"
#include "ui/formatting.h"
#include "ui/metric_roles.h"

namespace wb::ui {
namespace {

enum SummaryColumn { Loss, Quality, Throughput, Memory, Wall, Energy, SummaryColumns };

// What each metric column summarises: "Final" + the run's headline loss, and so on.
struct Column {
    const char* title;  ///< used with a metric name ("Final loss/val") or alone ("Final loss")
    const char* fallback;
    QString RunSummary::*metric;
    double RunSummary::*value;
};
const Column kColumns[SummaryColumns] = {
    {QT_TRANSLATE_NOOP("CompareTables", "Final %1"),
     QT_TRANSLATE_NOOP("CompareTables", "Final loss"), &RunSummary::lossMetric,
     &RunSummary::finalLoss},
    {QT_TRANSLATE_NOOP("CompareTables", "Best %1"),
     QT_TRANSLATE_NOOP("CompareTables", "Best quality"), &RunSummary::qualityMetric,
     &RunSummary::bestQuality},
    {QT_TRANSLATE_NOOP("CompareTables", "Median %1"),
     QT_TRANSLATE_NOOP("CompareTables", "Median throughput"), &RunSummary::throughputMetric,
     &RunSummary::medianThroughput},
    {QT_TRANSLATE_NOOP("CompareTables", "Peak %1"),
     QT_TRANSLATE_NOOP("CompareTables", "Peak memory"), &RunSummary::memoryMetric,
     &RunSummary::peakMemoryMiB},
    {QT_TRANSLATE_NOOP("CompareTables", "Wall time"),
     QT_TRANSLATE_NOOP("CompareTables", "Wall time"), nullptr, &RunSummary::wall_s},
    {QT_TRANSLATE_NOOP("CompareTables", "Total %1"), QT_TRANSLATE_NOOP("CompareTables", "Energy"),
     &RunSummary::energyMetric, &RunSummary::totalEnergy},
};

// A delta means something only between values that measure the same thing (the catalog's
// meaning of the same name for both models); wall time always compares.
bool comparable(int column, const RunSummary& a, const RunSummary& b) {
    const Column& c = kColumns[column];
    if (!c.metric) return true;
    return api::same_meaning((a.*c.metric).toStdString(), a.model.toStdString(),
                             (b.*c.metric).toStdString(), b.model.toStdString());
}

api::Better direction(int column, const RunSummary& s) {
    const Column& c = kColumns[column];
    return c.metric ? betterDirection(s.*c.metric, s.model) : api::Better::Lower;
}

QString familyName(const std::string& family) {
    if (family == "gan") return CompareTables::tr("GAN");
    if (family == "vae") return CompareTables::tr("VAE");
    if (family == "lm") return CompareTables::tr("language model");
    return CompareTables::tr("unknown model");
}

QString number(double v) {
    return std::isnan(v) ? QString() : QString::number(v, 'g', 15);
}

// The recorded source of a run's energy figure ("estimated: CPU time x 10 W per core"), for CSV.
QString energySource(const std::string& env_json) {
    const auto info = api::energy_source_of(env_json);
    return info ? QString::fromStdString(info->label) : QString();
}

QTableView* tableFor(QStandardItemModel* model, QWidget* parent) {
    auto* view = new QTableView(parent);
    view->setModel(model);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    return view;
}

}  // namespace

CompareTables::CompareTables(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* bar = new QHBoxLayout;
    m_baselineBox = new QComboBox(this);
    m_baselineBox->setObjectName(QStringLiteral("baseline"));
    m_baselineBox->setToolTip(tr("Deltas in the summary are relative to this run."));
    auto* exportButton = new QPushButton(tr("Export table as CSV…"), this);
    bar->addWidget(new QLabel(tr("Baseline"), this));
    bar->addWidget(m_baselineBox);
    bar->addStretch(1);
    bar->addWidget(exportButton);
    layout->addLayout(bar);
    m_familyWarning = new QLabel(this);
    m_familyWarning->setObjectName(QStringLiteral("familyWarning"));
    m_familyWarning->setWordWrap(true);
    m_familyWarning->setStyleSheet(QStringLiteral("color: #a05a00;"));
    m_familyWarning->hide();
    layout->addWidget(m_familyWarning);

    m_summaryModel = new QStandardItemModel(this);
    m_diffModel = new QStandardItemModel(this);
    m_tabs = new QTabWidget(this);
    m_tabs->addTab(tableFor(m_summaryModel, m_tabs), tr("Summary"));
    m_tabs->addTab(tableFor(m_diffModel, m_tabs), tr("Config differences"));
    layout->addWidget(m_tabs, 1);

    connect(m_baselineBox, &QComboBox::currentIndexChanged, this, &CompareTables::setBaseline);
    connect(exportButton, &QPushButton::clicked, this, &CompareTables::exportCsv);
}

void CompareTables::setRuns(const std::vector<RunTrace>& traces,
                            const std::vector<QColor>& colors) {
    m_runs.clear();
    std::vector<nlohmann::json> configs;
    for (std::size_t i = 0; i < traces.size(); ++i) {
        const RunTrace& t = traces[i];
        m_runs.push_back({t.id, t.name, QStringLiteral("#%1 %2").arg(t.id).arg(t.name),
                          statusText(t.status), i < colors.size() ? colors[i] : QColor(),
                          RunSummary::of(t), t.envJson.toStdString()});
        configs.push_back(nlohmann::json::parse(t.configJson.toStdString(), nullptr, false));
    }

    m_diff.clear();
    QStringList header{tr("Setting")};
    for (const Run& r : m_runs) header << r.label;
    m_diff << header;
    m_diffModel->clear();
    m_diffModel->setHorizontalHeaderLabels(header);
    for (const ConfigDiffRow& row : configDiff(configs)) {
        m_diff << (QStringList{row.key} + row.values);
        QList<QStandardItem*> items{new QStandardItem(row.key)};
        for (const QString& v : row.values)
            items << new QStandardItem(v.isEmpty() ? QStringLiteral("–") : v);
        m_diffModel->appendRow(items);
    }
    if (m_diffModel->rowCount() == 0)
        m_diffModel->appendRow(new QStandardItem(tr("(the configs are identical)")));

    {
        const QSignalBlocker blocker(m_baselineBox);
        m_baselineBox->clear();
        for (const Run& r : m_runs) m_baselineBox->addItem(r.label);
    }
    m_baseline = 0;
    m_baselineBox->setCurrentIndex(0);
    rebuildSummary();
}

void CompareTables::setBaseline(int index) {
    if (index < 0 || index >= static_cast<int>(m_runs.size())) return;
    m_baseline = index;
    const QSignalBlocker blocker(m_baselineBox);
    m_baselineBox->setCurrentIndex(index);
    rebuildSummary();
}

// Each column names the metric it summarises when the runs share it, with its unit; when they
// do not, every cell names its own. Deltas and colours follow the catalog: no delta between
// values that mean different things, no colour where no direction is better.
void CompareTables::rebuildSummary() {
    m_summaryModel->clear();
    m_summaryModel->setHorizontalHeaderItem(0, new QStandardItem(tr("Run")));
    m_summaryModel->setHorizontalHeaderItem(1, new QStandardItem(tr("Status")));
    bool shared[SummaryColumns] = {};
    for (int c = 0; c < SummaryColumns; ++c) {
        const Column& col = kColumns[c];
        QStringList metrics, units;
        QString description;
        for (const Run& r : m_runs) {
            if (!col.metric || (r.summary.*col.metric).isEmpty()) continue;
            const QString m = r.summary.*col.metric;
            const QString unit = displayUnit(m, r.summary.model);
            if (!metrics.contains(m)) metrics << m;
            if (!units.contains(unit)) units << unit;
            if (description.isEmpty()) description = metricDescription(m, r.summary.model);
        }
        shared[c] = !col.metric || (metrics.size() == 1 && units.size() == 1);
        QString header = tr(col.fallback);
        if (col.metric && shared[c]) {
            header = tr(col.title).arg(metrics.front());
            if (!units.front().isEmpty()) header += QStringLiteral(" (%1)").arg(units.front());
        }
        auto* item = new QStandardItem(header);
        item->setToolTip(!col.metric ? tr("Training time, paused time excluded.")
                         : shared[c] ? description
                                     : tr("The runs report different metrics here; each cell "
                                          "names its own."));
        m_summaryModel->setHorizontalHeaderItem(2 + c, item);
    }

    std::map<std::string, QStringList> families;
    for (const Run& r : m_runs)
        families[api::model_family(r.summary.model.toStdString())]
            << QStringLiteral("#%1").arg(r.id);
    QStringList parts;
    for (const auto& [family, runs] : families)
        parts << QStringLiteral("%1: %2").arg(familyName(family), runs.join(QStringLiteral(", ")));
    m_familyWarning->setText(
        tr("These runs are of different model families (%1). Their losses measure different "
           "things, so losses get no deltas across families; other columns compare only where "
           "a metric means the same.")
            .arg(parts.join(QStringLiteral("; "))));
    std::vector<std::string> envs;
    for (const Run& r : m_runs) envs.push_back(r.env_json);
    const QString extractors = QString::fromStdString(api::fid_extractor_mismatch(envs));
    const QString energySources = QString::fromStdString(api::energy_source_mismatch(envs));
    QStringList warnings;
    if (families.size() > 1) warnings << m_familyWarning->text();
    if (!extractors.isEmpty()) warnings << extractors;
    if (!energySources.isEmpty()) warnings << energySources;
    m_familyWarning->setText(warnings.join(QStringLiteral("\n")));
    m_familyWarning->setVisible(!warnings.isEmpty());
    if (m_runs.empty()) return;

    const RunSummary& base = m_runs[m_baseline].summary;
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        const Run& r = m_runs[i];
        const RunSummary& s = r.summary;
        auto* name = new QStandardItem(r.label);
        name->setData(r.color, Qt::DecorationRole);
        QList<QStandardItem*> items{name, new QStandardItem(r.status)};
        for (int c = 0; c < SummaryColumns; ++c) {
            const Column& col = kColumns[c];
            const double value = s.*col.value;
            const QString metric = col.metric ? s.*col.metric : QString();
            QString text = std::isnan(value) ? QStringLiteral("–")
                           : c == Wall       ? formatDuration(value)
                                             : formatValue(value);
            if (!shared[c] && !metric.isEmpty()) {
                const QString unit = displayUnit(metric, s.model);
                text = QStringLiteral("%1 %2%3").arg(
                    metric, text, unit.isEmpty() ? QString() : QLatin1Char(' ') + unit);
            }
            if (col.metric == &RunSummary::qualityMetric && !std::isnan(value))
                text += fidExtractorNote(metric, r.env_json);
            if (col.metric == &RunSummary::energyMetric && !std::isnan(value))
                text += energyNote(metric, r.env_json);
            auto* item = new QStandardItem(text);
            item->setToolTip(col.metric ? (metric.isEmpty() ? tr("The run has no such metric.")
                                                            : metricDescription(metric, s.model))
                                        : QString());
            if (c == Energy && !energySource(r.env_json).isEmpty())
                item->setToolTip(item->toolTip() + QStringLiteral("\n\n") +
                                 tr("Source: %1").arg(energySource(r.env_json)));
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            const double delta = summaryDelta(c, i);
            if (static_cast<int>(i) != m_baseline && !std::isnan(delta)) {
                item->setText(QStringLiteral("%1 (%2%3%)")
                                  .arg(text, delta >= 0 ? QStringLiteral("+") : QString())
                                  .arg(delta, 0, 'f', 1));
                // Colour only what a reader should notice (half a percent is noise), and only
                // where the catalog knows which way is better.
                const api::Better better = direction(c, s);
                if (std::abs(delta) >= 0.5 && better != api::Better::None)
                    item->setForeground((delta > 0) == (better == api::Better::Higher)
                                            ? QColor(0x2e, 0x8b, 0x3e)
                                            : QColor(0xd0, 0x30, 0x2f));
            } else if (static_cast<int>(i) != m_baseline && !std::isnan(value) &&
                       !std::isnan(base.*col.value) && !comparable(c, s, base)) {
                item->setToolTip(item->toolTip() + QStringLiteral("\n\n") +
                                 tr("No delta: the baseline's %1 (%2) measures something else.")
                                     .arg(base.*col.metric, base.model));
            }
            items << item;
        }
        m_summaryModel->appendRow(items);
    }
}

double CompareTables::summaryDelta(int column, std::size_t run) const {
    const RunSummary& s = m_runs[run].summary;
    const RunSummary& base = m_runs[m_baseline].summary;
    if (!comparable(column, s, base)) return std::numeric_limits<double>::quiet_NaN();
    return percentDelta(s.*kColumns[column].value, base.*kColumns[column].value);
}

QList<QStringList> CompareTables::summaryRows() const {
    QList<QStringList> rows{{"run_id",
                             "name",
                             "status",
                             "final_loss",
                             "final_loss_metric",
                             "final_loss_delta_pct",
                             "best_quality",
                             "best_quality_metric",
                             "best_quality_delta_pct",
                             "median_throughput",
                             "throughput_metric",
                             "median_throughput_delta_pct",
                             "peak_memory_mib",
                             "memory_metric",
                             "peak_memory_delta_pct",
                             "wall_s",
                             "wall_delta_pct",
                             "energy",
                             "energy_metric",
                             "energy_delta_pct",
                             "energy_source"}};
    if (m_runs.empty()) return rows;
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        const Run& r = m_runs[i];
        const RunSummary& s = r.summary;
        rows << QStringList{QString::number(r.id),
                            r.name,
                            r.status,
                            number(s.finalLoss),
                            s.lossMetric,
                            number(summaryDelta(Loss, i)),
                            number(s.bestQuality),
                            s.qualityMetric,
                            number(summaryDelta(Quality, i)),
                            number(s.medianThroughput),
                            s.throughputMetric,
                            number(summaryDelta(Throughput, i)),
                            number(s.peakMemoryMiB),
                            s.memoryMetric,
                            number(summaryDelta(Memory, i)),
                            number(s.wall_s),
                            number(summaryDelta(Wall, i)),
                            number(s.totalEnergy),
                            s.energyMetric,
                            number(summaryDelta(Energy, i)),
                            energySource(r.env_json)};
    }
    return rows;
}

QList<QStringList> CompareTables::diffRows() const {
    return m_diff;
}

void CompareTables::exportCsv() {
    const bool summary = m_tabs->currentIndex() == 0;
    const QString path = QFileDialog::getSaveFileName(
        this, summary ? tr("Export summary as CSV") : tr("Export config differences as CSV"),
        summary ? QStringLiteral("compare-summary.csv") : QStringLiteral("compare-config.csv"),
        tr("CSV (*.csv)"));
    if (path.isEmpty()) return;
    QString error;
    if (!writeTextFile(path, toCsv(summary ? summaryRows() : diffRows()), &error))
        QMessageBox::warning(this, tr("Table not exported"), error);
}

}  // namespace wb::ui
