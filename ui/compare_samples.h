// CompareSamples: the samples of the compared runs side by side at one chosen step (each run's
// sample at that step, or its last one before it), read from the store when first shown.
#pragma once

#include <cstdint>
#include <vector>

#include <QWidget>

#include "storage/run_rows.h"
#include "ui/run_trace.h"

class QComboBox;
class QGridLayout;
class QLabel;

namespace wb::storage {
class RunStore;
}

namespace wb::ui {

class SamplePreview;

class CompareSamples final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CompareSamples)

public:
    explicit CompareSamples(QWidget* parent = nullptr);

    /// The runs to show, with their names and colours; samples are read on the next load().
    void setRuns(const storage::RunStore* store, const std::vector<RunTrace>& traces,
                 const std::vector<QColor>& colors);
    /// Reads the runs' samples (again) and shows the chosen step. Throws storage::StorageError.
    void load();
    /// Every step at which any run has a sample, ascending.
    const std::vector<int64_t>& steps() const { return m_steps; }
    void showStep(int64_t step);
    SamplePreview* preview(std::size_t run) const { return m_previews.at(run); }

private:
    struct Run {
        int64_t id = 0;
        std::vector<storage::SampleRow> samples;  ///< ordered by step
    };

    const storage::RunStore* m_store = nullptr;
    std::vector<Run> m_runs;
    std::vector<int64_t> m_steps;
    std::vector<SamplePreview*> m_previews;
    QComboBox* m_step = nullptr;
    QLabel* m_note = nullptr;
    QGridLayout* m_grid = nullptr;
};

}  // namespace wb::ui
