// MainWindow: assembles the panels (run setup and controls, live view, history), the menus, drag
// and drop of config files and the persisted layout. The panels do the work; this wires them.
#pragma once

#include <cstdint>

#include <QMainWindow>
#include <QPointer>

class QLabel;
class QMessageBox;
class QTabWidget;

namespace wb::storage {
class RunStore;
}

namespace wb::ui {

class CompareView;
class HistoryPanel;
class LiveView;
class QueuePanel;
class RunControls;
class RunController;
class RunSetupPanel;

class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    MainWindow(RunController& controller, const storage::RunStore* store,
               QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Shows another database (the app opened it after databaseOpenRequested).
    void setStore(const storage::RunStore* store);
    /// Reads a JSON config into the setup panel; reports problems to the user. False when the
    /// file could not be used at all.
    bool loadConfigFile(const QString& path);
    bool selectPreset(const QString& name);
    /// Starts a run with the configured settings; returns its id, or 0.
    int64_t startRun();
    void showRun(int64_t id);
    /// A non-blocking warning that offers to open another database.
    void showStorageError(const QString& message);

    RunSetupPanel* setupPanel() const { return m_setup; }
    RunControls* controls() const { return m_controls; }
    LiveView* liveView() const { return m_live; }
    HistoryPanel* history() const { return m_history; }
    CompareView* compareView() const { return m_compare; }
    QueuePanel* queuePanel() const { return m_queue; }

signals:
    /// The user chose another database file; the app opens it and calls setStore.
    void databaseOpenRequested(const QString& path);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void continueRun(qint64 id);
    void wireHistory();
    void buildMenus();
    void wireController();
    void chooseDatabase();
    void chooseConfigToLoad();
    void saveConfig();
    void saveAsPreset();
    void updateControls();
    void notify(const QString& title, const QString& text, bool error);
    void readSettings();
    void writeSettings() const;

    RunController& m_controller;
    const storage::RunStore* m_store = nullptr;  ///< read side; writes go through the controller
    RunSetupPanel* m_setup = nullptr;
    RunControls* m_controls = nullptr;
    QueuePanel* m_queue = nullptr;
    LiveView* m_live = nullptr;
    HistoryPanel* m_history = nullptr;
    CompareView* m_compare = nullptr;
    QTabWidget* m_tabs = nullptr;
    QLabel* m_dbLabel = nullptr;
    QPointer<QMessageBox> m_storageBox;
};

}  // namespace wb::ui
