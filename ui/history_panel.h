// HistoryPanel: the table of every run in the database, sortable and filterable, refreshed on a
// timer; rename in place, edit notes, delete with confirmation, pick runs to show or compare.
#pragma once

#include <cstdint>
#include <vector>

#include <QList>
#include <QTimer>
#include <QWidget>

class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace wb::service {
class RunService;
}

namespace wb::ui {

class HistoryModel;

class HistoryPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HistoryPanel)

public:
    static constexpr int kRefreshIntervalMs = 1000;

    explicit HistoryPanel(QWidget* parent = nullptr);

    /// The history of the service's database; edits and deletes are sent through it.
    void setService(service::RunService* service);
    void refreshNow();
    /// Makes run `id` the current row (and scrolls to it) when it is in the table.
    void selectRun(int64_t id);
    /// In the order the table shows them.
    std::vector<int64_t> selectedRuns() const;

    HistoryModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    QLineEdit* filter() const { return m_filter; }
    QByteArray saveState() const;
    void restoreState(const QByteArray& state);

signals:
    void currentRunChanged(qint64 id);
    void selectionChanged(const QList<qint64>& ids);
    /// The user asked to compare the selected runs (two or more).
    void compareRequested(const QList<qint64>& ids);
    /// The user asked to continue the selected finished run from its last checkpoint.
    void continueRequested(qint64 id);
    /// The user asked to start from this run's exact settings (double-click, or the menu).
    void settingsRequested(qint64 id);
    /// These runs are gone from the database: views that keep something of them must drop it.
    void runsDeleted(const QList<qint64>& ids);
    /// The table has just been read again; rows may have changed name, status or step count.
    void refreshed();
    void storageFailed(const QString& message);

private:
    void editNotes();
    void deleteSelected();
    void showSettings(int64_t id);
    void updateButtons();

    service::RunService* m_service = nullptr;
    HistoryModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    QTableView* m_view = nullptr;
    QLineEdit* m_filter = nullptr;
    QPushButton* m_notes = nullptr;
    QPushButton* m_delete = nullptr;
    QPushButton* m_compare = nullptr;
    QPushButton* m_continue = nullptr;
    QTimer m_refreshTimer;
};

}  // namespace wb::ui
