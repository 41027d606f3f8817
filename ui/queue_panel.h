// QueuePanel: the run queue of the open database (issue 18), refreshed on a timer. Drag a row to
// reorder, raise or lower a priority, cancel; and run the scheduler here while the app is open
// (one per database: another one's holder is named). Runs it starts train in their own
// workbench-cli worker processes, so the app's own runs and the queued ones never share a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <QTimer>
#include <QWidget>

#include "engine/service/scheduler.h"

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;

namespace wb::storage {
class RunStore;
}

namespace wb::ui {

class QueueTable;

class QueuePanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QueuePanel)

public:
    static constexpr int kRefreshIntervalMs = 1000;

    explicit QueuePanel(QWidget* parent = nullptr);
    ~QueuePanel() override;

    /// Shows the queue of the database at `path` (its own connection); stops a scheduler
    /// running for the previous one. `gpus`: how many GPUs the scheduler may hand out.
    void setDatabase(const std::string& path, int gpus);
    /// The same, with the GPUs the engine reports (its environment JSON's cuda_devices).
    void setDatabase(const std::string& path, const std::string& engine_environment);
    /// The workbench-cli the scheduler starts workers of (default: next to this program).
    void setWorkerExecutable(const QString& path) { m_workerExe = path; }
    void refreshNow();
    /// Starts or stops the scheduler here; false (with the reason shown) when it cannot run.
    bool setSchedulerRunning(bool on);
    bool schedulerRunning() const { return m_scheduler != nullptr; }
    /// The run ids in the order the table shows them.
    std::vector<int64_t> shownRuns() const;
    /// What a drag does: `id` goes before `before` (0: to the end).
    void moveRun(int64_t id, int64_t before);
    void changePriority(int64_t id, int delta);
    void cancelRun(int64_t id);

private:
    void tick();
    int64_t selectedRun() const;
    void showError(const QString& text);

    std::unique_ptr<storage::RunStore> m_store;
    std::unique_ptr<service::Scheduler> m_scheduler;
    int m_gpus = 0;
    QString m_workerExe;
    QueueTable* m_table = nullptr;
    QPushButton* m_schedulerButton = nullptr;
    QPushButton* m_up = nullptr;
    QPushButton* m_down = nullptr;
    QPushButton* m_cancel = nullptr;
    QLabel* m_state = nullptr;
    QPlainTextEdit* m_log = nullptr;
    QTimer m_timer;
};

}  // namespace wb::ui
