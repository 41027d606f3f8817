#include "ui/compare_tables.h"

#include <cmath>

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

#include "ui/config_diff.h"
#include "ui/csv.h"
#include "ui/formatting.h"
#include "ui/metric_roles.h"

namespace wb::ui {
namespace {

enum SummaryColumn { Loss, Quality, Throughput, Memory, Wall, SummaryColumns };

QString number(double v) {
    return std::isnan(v) ? QString() : QString::number(v, 'g', 15);
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
                          RunSummary::of(t)});
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

void CompareTables::rebuildSummary() {
    m_summaryModel->clear();
    m_summaryModel->setHorizontalHeaderLabels({tr("Run"), tr("Status"), tr("Final loss"),
                                               tr("Best quality"), tr("Median throughput"),
                                               tr("Peak memory (MiB)"), tr("Wall time")});
    if (m_runs.empty()) return;
    const RunSummary& base = m_runs[m_baseline].summary;
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        const Run& r = m_runs[i];
        const RunSummary& s = r.summary;
        const double values[SummaryColumns] = {s.finalLoss, s.bestQuality, s.medianThroughput,
                                               s.peakMemoryMiB, s.wall_s};
        const double baseValues[SummaryColumns] = {base.finalLoss, base.bestQuality,
                                                   base.medianThroughput, base.peakMemoryMiB,
                                                   base.wall_s};
        const bool higherBetter[SummaryColumns] = {false, higherIsBetter(s.qualityMetric), true,
                                                   false, false};
        const QString metrics[SummaryColumns] = {s.lossMetric, s.qualityMetric, s.throughputMetric,
                                                 s.memoryMetric, tr("training time")};
        auto* name = new QStandardItem(r.label);
        name->setData(r.color, Qt::DecorationRole);
        QList<QStandardItem*> items{name, new QStandardItem(r.status)};
        for (int c = 0; c < SummaryColumns; ++c) {
            const double delta = percentDelta(values[c], baseValues[c]);
            QString text = c == Wall ? formatDuration(values[c]) : formatValue(values[c]);
            if (std::isnan(values[c])) text = QStringLiteral("–");
            auto* item = new QStandardItem(text);
            item->setToolTip(metrics[c]);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            if (static_cast<int>(i) != m_baseline && !std::isnan(delta)) {
                item->setText(QStringLiteral("%1 (%2%3%)")
                                  .arg(text, delta >= 0 ? QStringLiteral("+") : QString())
                                  .arg(delta, 0, 'f', 1));
                // Colour only what a reader should notice: half a percent is noise.
                if (std::abs(delta) >= 0.5)
                    item->setForeground((delta > 0) == higherBetter[c] ? QColor(0x2e, 0x8b, 0x3e)
                                                                       : QColor(0xd0, 0x30, 0x2f));
            }
            items << item;
        }
        m_summaryModel->appendRow(items);
    }
}

QList<QStringList> CompareTables::summaryRows() const {
    QList<QStringList> rows{{"run_id", "name", "status", "final_loss", "final_loss_metric",
                             "final_loss_delta_pct", "best_quality", "best_quality_metric",
                             "best_quality_delta_pct", "median_throughput", "throughput_metric",
                             "median_throughput_delta_pct", "peak_memory_mib", "memory_metric",
                             "peak_memory_delta_pct", "wall_s", "wall_delta_pct"}};
    if (m_runs.empty()) return rows;
    const RunSummary& b = m_runs[m_baseline].summary;
    for (const Run& r : m_runs) {
        const RunSummary& s = r.summary;
        rows << QStringList{QString::number(r.id),
                            r.name,
                            r.status,
                            number(s.finalLoss),
                            s.lossMetric,
                            number(percentDelta(s.finalLoss, b.finalLoss)),
                            number(s.bestQuality),
                            s.qualityMetric,
                            number(percentDelta(s.bestQuality, b.bestQuality)),
                            number(s.medianThroughput),
                            s.throughputMetric,
                            number(percentDelta(s.medianThroughput, b.medianThroughput)),
                            number(s.peakMemoryMiB),
                            s.memoryMetric,
                            number(percentDelta(s.peakMemoryMiB, b.peakMemoryMiB)),
                            number(s.wall_s),
                            number(percentDelta(s.wall_s, b.wall_s))};
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
