// CompareTables: the compare view's summary (loss, quality, throughput, memory, wall time, energy,
// with % deltas to a baseline where the values mean the same) and its diff of config keys; CSV.
#pragma once

#include <vector>

#include <QColor>
#include <QList>
#include <QStringList>
#include <QWidget>

#include "ui/run_summary.h"
#include "ui/run_trace.h"

class QComboBox;
class QLabel;
class QStandardItemModel;
class QTabWidget;

namespace wb::ui {

class CompareTables final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CompareTables)

public:
    explicit CompareTables(QWidget* parent = nullptr);

    /// `colors[i]` marks run i as in the plots.
    void setRuns(const std::vector<RunTrace>& traces, const std::vector<QColor>& colors);
    void setBaseline(int index);
    int baseline() const { return m_baseline; }

    QStandardItemModel* summaryModel() const { return m_summaryModel; }
    QStandardItemModel* diffModel() const { return m_diffModel; }
    /// Raw numbers and deltas in separate columns, for CSV.
    QList<QStringList> summaryRows() const;
    QList<QStringList> diffRows() const;

private:
    struct Run {
        int64_t id = 0;
        QString name;
        QString label;  ///< "#id name"
        QString status;
        QColor color;
        RunSummary summary;
        std::string env_json;
    };

    void rebuildSummary();
    /// % delta of run `run` to the baseline in a summary column; NaN when either value is
    /// missing or the two do not measure the same thing.
    double summaryDelta(int column, std::size_t run) const;
    void exportCsv();

    std::vector<Run> m_runs;
    QList<QStringList> m_diff;  ///< header row first
    int m_baseline = 0;
    QComboBox* m_baselineBox = nullptr;
    QLabel* m_familyWarning = nullptr;  ///< shown when the runs are of different model families
    QTabWidget* m_tabs = nullptr;
    QStandardItemModel* m_summaryModel = nullptr;
    QStandardItemModel* m_diffModel = nullptr;
};

}  // namespace wb::ui
