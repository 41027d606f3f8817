#include "ui/main_window.h"

#include <QAction>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include "engine/api/presets.h"
#include "storage/run_store.h"
#include "ui/compare_view.h"
#include "ui/config_file.h"
#include "ui/formatting.h"
#include "ui/help_dialogs.h"
#include "ui/history_model.h"
#include "ui/history_panel.h"
#include "ui/live_view.h"
#include "ui/queue_panel.h"
#include "ui/run_controller.h"
#include "ui/run_controls.h"
#include "ui/run_setup_panel.h"
#include "ui/save_preset_dialog.h"
#include "ui/window_layout.h"

namespace wb::ui {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

// The one local .json file among dropped URLs, or an empty string.
QString droppedConfig(const QMimeData* mime) {
    if (!mime->hasUrls() || mime->urls().size() != 1) return {};
    const QUrl url = mime->urls().front();
    return url.isLocalFile() &&
                   url.toLocalFile().endsWith(QLatin1String(".json"), Qt::CaseInsensitive)
               ? url.toLocalFile()
               : QString();
}

}  // namespace

MainWindow::MainWindow(RunController& controller, const storage::RunStore* store, QWidget* parent)
    : QMainWindow(parent), m_controller(controller) {
    setAcceptDrops(true);
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    m_setup = new RunSetupPanel(left);
    m_controls = new RunControls(left);
    leftLayout->addWidget(m_setup, 1);
    leftLayout->addWidget(m_controls);

    m_live = new LiveView(this);
    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_live, tr("Live"));
    m_compare = new CompareView(this);
    m_tabs->addTab(m_compare, tr("Compare"));
    m_tabs->addTab(m_queue = new QueuePanel(this), tr("Queue"));
    m_history = new HistoryPanel(this);

    auto* rightSplit = new QSplitter(Qt::Vertical, this);
    rightSplit->setObjectName(QStringLiteral("rightSplit"));
    rightSplit->addWidget(m_tabs);
    rightSplit->addWidget(m_history);
    rightSplit->setStretchFactor(0, 3);
    rightSplit->setStretchFactor(1, 1);
    auto* mainSplit = new QSplitter(Qt::Horizontal, this);
    mainSplit->setObjectName(QStringLiteral("mainSplit"));
    mainSplit->addWidget(left);
    mainSplit->addWidget(rightSplit);
    mainSplit->setStretchFactor(0, 0);
    mainSplit->setStretchFactor(1, 1);
    mainSplit->setSizes({380, 1220});
    rightSplit->setSizes({700, 300});
    setCentralWidget(mainSplit);

    m_dbLabel = new QLabel(this);
    statusBar()->addPermanentWidget(m_dbLabel);
    buildMenus();

    connect(m_setup, &RunSetupPanel::validityChanged, m_controls, &RunControls::setStartAllowed);
    connect(m_setup, &RunSetupPanel::presetSelected, this,
            [](const QString& name) { QSettings().setValue("setup/preset", name); });
    connect(m_controls, &RunControls::startRequested, this, [this] { startRun(); });
    connect(m_controls, &RunControls::pauseRequested, this,
            [this](qint64 id) { m_controller.pause(id); });
    connect(m_controls, &RunControls::resumeRequested, this,
            [this](qint64 id) { m_controller.resume(id); });
    connect(m_controls, &RunControls::stopRequested, this, [this](qint64 id) {
        m_controller.stop(id);
        statusBar()->showMessage(tr("Stopping run #%1 after its current step…").arg(id), 5000);
    });
    connect(m_live, &LiveView::loadFailed, this, &MainWindow::showStorageError);
    connect(m_compare, &CompareView::loadFailed, this, &MainWindow::showStorageError);
    wireHistory();
    wireController();

    m_controls->setStartAllowed(m_setup->isValid());
    readSettings();
    setStore(store);
}

MainWindow::~MainWindow() = default;

void MainWindow::continueRun(qint64 id) {
    // Damaged settings or a vanished row are reported before the user picks a step count.
    const service::StoredRun stored = m_controller.service().stored_run(id);
    if (!stored.ok()) {
        notify(tr("Run not continued"), qs(stored.refusal->message), true);
        return;
    }
    const storage::RunRow* row = &stored.row;
    // A run that reached its target trains on; by default for as long again.
    const auto suggested =
        row->steps_done < row->total_steps ? row->total_steps : row->total_steps * 2;
    bool ok = false;
    const int steps = QInputDialog::getInt(
        this, tr("Continue run #%1").arg(id),
        tr("Resume from the last checkpoint (step %1) and train up to step:").arg(row->steps_done),
        static_cast<int>(suggested), static_cast<int>(row->steps_done + 1), 10'000'000, 100, &ok);
    if (ok && m_controller.continueRun(id, steps))
        statusBar()->showMessage(tr("Continuing run #%1 up to step %2").arg(id).arg(steps), 5000);
}

void MainWindow::wireHistory() {
    connect(m_history, &HistoryPanel::currentRunChanged, this, [this](qint64 id) { showRun(id); });
    connect(m_history, &HistoryPanel::storageFailed, this, &MainWindow::showStorageError);
    connect(m_history, &HistoryPanel::compareRequested, this, [this](const QList<qint64>& ids) {
        m_compare->setRuns(std::vector<int64_t>(ids.begin(), ids.end()));
        m_tabs->setCurrentWidget(m_compare);
    });
    connect(m_history, &HistoryPanel::continueRequested, this, &MainWindow::continueRun);
    connect(m_history, &HistoryPanel::settingsRequested, this, [this](qint64 id) {
        const auto row = m_store ? m_store->get_run(id) : std::nullopt;
        if (row && m_setup->loadRun(*row))
            statusBar()->showMessage(tr("Settings of run #%1 loaded: edit, then Start").arg(id));
    });
    connect(m_history, &HistoryPanel::runsDeleted, this, [this](const QList<qint64>& ids) {
        for (qint64 id : ids) {
            m_live->forgetRun(id);
            m_compare->forgetRun(id);
        }
        updateControls();
    });
    // The header follows the rows: a rename, a Continue to more steps, another process's run.
    connect(m_history, &HistoryPanel::refreshed, this, [this] {
        const HistoryModel* model = m_history->model();
        for (int row = 0; row < model->rowCount(); ++row) m_live->syncRow(*model->run(row));
    });
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open database…"), this, &MainWindow::chooseDatabase);
    file->addSeparator();
    QAction* load = file->addAction(tr("&Load config…"), this, &MainWindow::chooseConfigToLoad);
    load->setShortcut(QKeySequence::Open);
    QAction* save = file->addAction(tr("&Save config…"), this, &MainWindow::saveConfig);
    save->setShortcut(QKeySequence::Save);
    // A preset must be a config that can start, like those the preset list offers.
    QAction* preset = file->addAction(tr("Save as &preset…"), this, &MainWindow::saveAsPreset);
    preset->setEnabled(m_setup->isValid());
    connect(m_setup, &RunSetupPanel::validityChanged, preset, &QAction::setEnabled);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    run->addAction(m_controls->startAction());
    run->addAction(m_controls->pauseAction());
    run->addAction(m_controls->stopAction());

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard shortcuts"), this, [this] { showShortcuts(this); });
    help->addAction(tr("&About"), this, [this] {
        showAbout(this, QString::fromStdString(m_controller.environmentJson()));
    });
}

void MainWindow::wireController() {
    connect(&m_controller, &RunController::eventsArrived, m_live, &LiveView::appendEvents);
    connect(&m_controller, &RunController::runStarted, this, [this](qint64 id) {
        showRun(id);
        // A continued run has a new step target; its row has it already.
        if (const auto row = m_store ? m_store->get_run(id) : std::nullopt) m_live->syncRow(*row);
        m_history->selectRun(id);
        updateControls();
        statusBar()->showMessage(tr("Started run #%1").arg(id), 5000);
    });
    connect(&m_controller, &RunController::runStatusChanged, this,
            [this](qint64 id, api::RunStatus status, const QString&) {
                updateControls();
                if (api::is_final(status))
                    statusBar()->showMessage(tr("Run #%1 %2").arg(id).arg(statusText(status)),
                                             8000);
            });
    connect(&m_controller, &RunController::startFailed, this,
            [this](const QString& message) { notify(tr("Run not started"), message, true); });
    connect(&m_controller, &RunController::runFailed, this,
            [this](qint64 id, const QString& message) {
                notify(tr("Run #%1 failed").arg(id),
                       tr("Run #%1 failed:\n\n%2\n\nIts log and history row keep this message.")
                           .arg(id)
                           .arg(message.isEmpty() ? tr("(no message)") : message),
                       true);
            });
    connect(&m_controller, &RunController::storageFailed, this, &MainWindow::showStorageError);
}

void MainWindow::setStore(const storage::RunStore* store) {
    m_store = store;
    m_live->setStore(store);
    m_compare->setStore(store);
    m_history->setService(&m_controller.service());
    const QString path = store ? qs(store->path()) : QString();
    if (store) m_queue->setDatabase(store->path(), m_controller.environmentJson());
    m_dbLabel->setText(path.isEmpty() ? tr("no database") : tr("Database: %1").arg(path));
    setWindowTitle(path.isEmpty()
                       ? tr("GenAI Training Workbench")
                       : tr("%1 — GenAI Training Workbench").arg(QFileInfo(path).fileName()));
    if (!path.isEmpty()) QSettings().setValue("db/path", path);
    updateControls();
}

bool MainWindow::selectPreset(const QString& name) {
    return m_setup->selectPreset(name);
}

int64_t MainWindow::startRun() {
    if (!m_setup->isValid()) {
        notify(tr("Run not started"),
               tr("The configuration has problems; they are marked in the form:\n\n%1")
                   .arg(qs(api::format_errors(m_setup->errors()))),
               true);
        return 0;
    }
    const int64_t id = m_controller.start(m_setup->config(), m_setup->runName());
    if (id != 0) m_setup->clearRunName();
    return id;
}

void MainWindow::showRun(int64_t id) {
    if (id != m_live->shownRun()) m_live->showRun(id);
    updateControls();
}

void MainWindow::updateControls() {
    const int64_t id = m_live->shownRun();
    m_controls->setTarget(id, m_controller.status(id));
    m_controls->setActiveCount(static_cast<int>(m_controller.activeRuns().size()));
}

bool MainWindow::loadConfigFile(const QString& path) {
    const LoadedConfig loaded = readConfigFile(path);
    if (!loaded.ok) {
        notify(tr("Config not loaded"), loaded.error, true);
        return false;
    }
    m_setup->setConfig(loaded.config, QFileInfo(path).fileName());
    if (!loaded.ignored.isEmpty())
        notify(tr("Config loaded with problems"),
               tr("%1 was loaded; fields it does not set keep their defaults. These entries were "
                  "ignored:\n\n%2")
                   .arg(QFileInfo(path).fileName(), loaded.ignored),
               false);
    statusBar()->showMessage(tr("Loaded %1").arg(QDir::toNativeSeparators(path)), 5000);
    return true;
}

void MainWindow::chooseConfigToLoad() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Load config"), QString(),
                                                      tr("Run configs (*.json);;All files (*)"));
    if (!path.isEmpty()) loadConfigFile(path);
}

void MainWindow::saveConfig() {
    const QString suggested = m_setup->presetName() + QStringLiteral(".json");
    QString path = QFileDialog::getSaveFileName(this, tr("Save config"), suggested,
                                                tr("Run configs (*.json)"));
    if (path.isEmpty()) return;
    if (!path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive))
        path += QStringLiteral(".json");
    if (const QString error = writeConfigFile(path, m_setup->config()); !error.isEmpty()) {
        notify(tr("Config not saved"), error, true);
        return;
    }
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(path)), 5000);
}

void MainWindow::saveAsPreset() {
    SavePresetDialog dialog(m_setup->config(), m_setup->presetName(), this);
    if (dialog.exec() != QDialog::Accepted) return;
    m_setup->reloadPresets();
    m_setup->selectPreset(dialog.presetName());
    statusBar()->showMessage(
        tr("Saved preset %1 to %2").arg(dialog.presetName(), dialog.savedPath()), 8000);
}

void MainWindow::chooseDatabase() {
    const auto active = m_controller.activeRuns().size();
    if (active > 0) {
        notify(tr("Runs are training"),
               tr("Stop the %n training run(s) before opening another database: their events "
                  "are written to the open one.",
                  nullptr, static_cast<int>(active)),
               false);
        return;
    }
    const QString start = m_store ? qs(m_store->path()) : QString();
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Open or create a run database"), start,
                                     tr("Run databases (*.sqlite *.db);;All files (*)"), nullptr,
                                     QFileDialog::DontConfirmOverwrite);
    if (!path.isEmpty()) emit databaseOpenRequested(path);
}

void MainWindow::showStorageError(const QString& message) {
    statusBar()->showMessage(tr("Storage error: %1").arg(message), 15000);
    if (m_storageBox) return;  // one box at a time: a broken disk would open one per refresh
    m_storageBox = new QMessageBox(QMessageBox::Warning, tr("Run database problem"),
                                   tr("%1\n\nThe runs already stored are not touched. You can "
                                      "keep working, or open another database.")
                                       .arg(message),
                                   QMessageBox::Close, this);
    QPushButton* other =
        m_storageBox->addButton(tr("Open another database…"), QMessageBox::ActionRole);
    connect(other, &QPushButton::clicked, this, &MainWindow::chooseDatabase);
    m_storageBox->setAttribute(Qt::WA_DeleteOnClose);
    m_storageBox->open();
}

// Non-blocking, so that events keep flowing (and tests keep running) while the user reads.
void MainWindow::notify(const QString& title, const QString& text, bool error) {
    auto* box = new QMessageBox(error ? QMessageBox::Warning : QMessageBox::Information, title,
                                text, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    const auto active = m_controller.activeRuns().size();
    if (active > 0) {
        const auto answer = QMessageBox::question(
            this, tr("Runs are training"),
            tr("%n run(s) still training. Stop and quit?\n\nEach run stops after its current "
               "step and writes a checkpoint; everything recorded so far stays in the database.",
               nullptr, static_cast<int>(active)),
            QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        m_controller.stopAll();
    }
    writeSettings();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (!droppedConfig(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QString path = droppedConfig(event->mimeData());
    if (path.isEmpty()) return;
    event->acceptProposedAction();
    loadConfigFile(path);
}

void MainWindow::readSettings() {
    QSettings s;
    restoreLayout(this, s);
    m_history->restoreState(s.value("history/header").toByteArray());
    const QString preset = s.value("setup/preset").toString();
    if (!preset.isEmpty()) m_setup->selectPreset(preset);
}

void MainWindow::writeSettings() const {
    QSettings s;
    saveLayout(this, s);
    s.setValue("history/header", m_history->saveState());
}

}  // namespace wb::ui
