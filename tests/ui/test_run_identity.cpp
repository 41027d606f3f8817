// Run identity in the window: a deleted run leaves nothing behind for the next one, the Live
// header follows the run's row, a run's settings can be looked at and reused, and the window's
// small things (Help, restored geometry, cut-off cells) work.
#include <QAction>
#include <QApplication>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "engine/api/presets.h"
#include "engine/api/schema.h"
#include "storage/run_store.h"
#include "tests/ui/fake_engine.h"
#include "ui/elided_tooltips.h"
#include "ui/help_dialogs.h"
#include "ui/history_model.h"
#include "ui/history_panel.h"
#include "ui/live_view.h"
#include "ui/main_window.h"
#include "ui/run_config_dialog.h"
#include "ui/run_controller.h"
#include "ui/run_log_view.h"
#include "ui/run_progress.h"
#include "ui/run_setup_panel.h"
#include "ui/window_layout.h"

using namespace wb;

class TestRunIdentity final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void deletedRunLeavesNothingForTheNextOne();
    void liveHeaderFollowsTheRow();
    void runNameGoesBackToAutomaticAfterStart();
    void doubleClickLoadsTheRunsSettings();
    void settingsDialogShowsEverySetting();
    void helpMenuHasShortcutsAndAbout();
    void restoredGeometryFitsOnTheScreen();
    void cutOffCellsShowTheirTextOnHover();

private:
    int64_t startRun(const QString& name) {
        m_window->setupPanel()->findChild<QLineEdit*>("runName")->setText(name);
        const int64_t id = m_window->startRun();
        m_controller->drainNow();
        return id;
    }
    // Ends a FakeEngine run as the engine and the recorder would.
    void finish(int64_t id, api::RunStatus status, const std::string& message = {}) {
        m_engine->push(api::RunEvent::status_change(id, 56, 1.0, status, message));
        m_controller->drainNow();
        m_store->set_status(id, status, message);
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<storage::RunStore> m_store;
    std::unique_ptr<test::FakeEngine> m_engine;
    std::unique_ptr<ui::RunController> m_controller;
    std::unique_ptr<ui::MainWindow> m_window;
};

void TestRunIdentity::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("genai-workbench-test");
    QCoreApplication::setApplicationName("test_ui_run_identity");
}

void TestRunIdentity::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_store = std::make_unique<storage::RunStore>(m_dir->filePath("runs.sqlite").toStdString());
    m_engine = std::make_unique<test::FakeEngine>();
    m_controller = std::make_unique<ui::RunController>(*m_engine, *m_store, nullptr);
    m_window = std::make_unique<ui::MainWindow>(*m_controller, m_store.get());
    QVERIFY(m_window->selectPreset("gan-mixture2d"));
}

void TestRunIdentity::cleanup() {
    for (auto* box : m_window->findChildren<QMessageBox*>()) box->done(0);
    m_window.reset();
    m_controller.reset();
    m_engine.reset();
    m_store.reset();
    m_dir.reset();
}

void TestRunIdentity::deletedRunLeavesNothingForTheNextOne() {
    const int64_t old = startRun("gpt baseline fp32 adamw");
    m_engine->pushMetrics(old, 1, 56, {"loss/g"});
    m_engine->push(api::RunEvent::log(old, 56, 1.0, "error", "CUDA out of memory at step 56"));
    m_controller->drainNow();
    finish(old, api::RunStatus::Failed, "out of memory");
    ui::LiveView* live = m_window->liveView();
    QVERIFY(live->trace(old) != nullptr);

    ui::HistoryPanel* history = m_window->history();
    history->selectRun(old);
    QTimer::singleShot(0, this, [] {
        if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget()))
            box->button(QMessageBox::Yes)->click();
    });
    for (QPushButton* b : history->findChildren<QPushButton*>())
        if (b->text() == "Delete…") b->click();
    QVERIFY(!m_store->get_run(old));
    QVERIFY2(live->trace(old) == nullptr, "the live view kept the deleted run");
    QCOMPARE(live->shownRun(), int64_t{0});

    const int64_t fresh = startRun("gpt curriculum 300");
    QVERIFY(fresh > old);  // ids are never given out again
    QCOMPARE(live->shownRun(), fresh);
    QVERIFY(live->progress()->titleText().contains("gpt curriculum 300"));
    QCOMPARE(live->trace(fresh)->metrics.count("loss/g"), std::size_t{0});
    const QString log = live->findChild<ui::RunLogView*>()->toPlainText();
    QVERIFY2(!log.contains("out of memory"), qPrintable(log));
}

void TestRunIdentity::liveHeaderFollowsTheRow() {
    const int64_t id = startRun("first name");
    ui::LiveView* live = m_window->liveView();
    m_store->rename(id, "second name");
    m_window->history()->refreshNow();
    QVERIFY2(live->progress()->titleText().contains("second name"),
             qPrintable(live->progress()->titleText()));

    finish(id, api::RunStatus::Stopped);
    QVERIFY(m_controller->continueRun(id, 1200));
    m_controller->drainNow();
    QCOMPARE(live->progress()->bar()->maximum(), 1200);
    finish(id, api::RunStatus::Completed);
    m_window->history()->refreshNow();
    QCOMPARE(live->progress()->bar()->maximum(), 1200);

    // A stored run that another process moves on: its step and status come from the row.
    const int64_t other = m_store->create_run("cli run", "gan_mlp", "{}", "{}", 500, "");
    m_store->set_status(other, api::RunStatus::Running);
    m_window->history()->refreshNow();
    m_window->showRun(other);
    m_store->update_config(other, "{}", 800);
    m_window->history()->refreshNow();
    QCOMPARE(live->progress()->bar()->maximum(), 800);
}

void TestRunIdentity::runNameGoesBackToAutomaticAfterStart() {
    const int64_t id = startRun("shared name");
    QCOMPARE(QString::fromStdString(m_store->get_run(id)->name), QString("shared name"));
    const QString next = m_window->setupPanel()->runName();
    QVERIFY2(next.startsWith("gan-mixture2d "), qPrintable(next));
    const int64_t second = m_window->startRun();
    QVERIFY(QString::fromStdString(m_store->get_run(second)->name) != "shared name");
}

void TestRunIdentity::doubleClickLoadsTheRunsSettings() {
    api::RunConfig config = api::find_preset("gpt-char")->config;
    config.train.steps = 345;
    config.optim.lr = 0.0042;
    const int64_t id = m_store->create_run("tuned", "gpt", config.to_json().dump(), "{}", 345, "");
    m_store->set_status(id, api::RunStatus::Completed);
    ui::HistoryPanel* history = m_window->history();
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    history->selectRun(id);
    QTableView* view = history->view();
    const QModelIndex cell = view->currentIndex();
    QVERIFY(cell.isValid());
    // What a double-click on the row emits (QTest's synthetic double-click skips the release
    // that QAbstractItemView waits for).
    emit view->doubleClicked(cell);
    QVERIFY2(m_window->setupPanel()->config() == config,
             m_window->setupPanel()->config().to_json().dump().c_str());
    QVERIFY(!view->isPersistentEditorOpen(cell));
    QVERIFY(view->indexWidget(cell) == nullptr);
    QCOMPARE(m_window->setupPanel()->presetName(), QString("run #%1 tuned").arg(id));
    QVERIFY(!m_window->setupPanel()->isEdited());
    // Start sends exactly those settings.
    const int64_t rerun = m_window->startRun();
    QVERIFY(rerun != 0);
    QVERIFY(m_engine->requests().back().config == config);
}

void TestRunIdentity::settingsDialogShowsEverySetting() {
    api::RunConfig config = api::find_preset("gan-mixture2d")->config;
    config.data.radius = 3.5;
    storage::RunRow row;
    row.id = 9;
    row.name = "wide ring";
    row.config_json = config.to_json().dump();
    ui::RunConfigDialog dialog(row);
    QTableWidget* table = dialog.table();
    QCOMPARE(table->rowCount(), static_cast<int>(api::schema().size()));
    bool found = false;
    for (int r = 0; r < table->rowCount(); ++r) {
        if (table->item(r, 3)->text() != "data.radius") continue;
        found = true;
        QCOMPARE(table->item(r, 1)->text(), QString("Mixture radius"));
        QCOMPARE(table->item(r, 2)->text(), QString("3.5"));
        QVERIFY(table->item(r, 2)->font().bold());  // differs from the default
    }
    QVERIFY(found);
    QVERIFY(api::RunConfig::from_json(nlohmann::json::parse(dialog.json().toStdString()),
                                      nullptr) == config);
    QSignalSpy used(&dialog, &ui::RunConfigDialog::useRequested);
    for (QPushButton* b : dialog.findChildren<QPushButton*>())
        if (b->text() == "Use these settings") b->click();
    QCOMPARE(used.count(), 1);
}

void TestRunIdentity::helpMenuHasShortcutsAndAbout() {
    QStringList help;
    for (QAction* menu : m_window->menuBar()->actions())
        if (menu->text() == "&Help")
            for (QAction* a : menu->menu()->actions()) help << a->text();
    QCOMPARE(help, (QStringList{"&Keyboard shortcuts", "&About"}));
    const QString shortcuts = ui::shortcutsText(m_window.get());
    QVERIFY2(shortcuts.contains("Ctrl+O\tLoad config…"), qPrintable(shortcuts));
    QVERIFY(shortcuts.contains("Del\t"));
    const QString about = ui::aboutText(
        R"({"libtorch":"1.13.1","cuda_built":false,"cuda_available":false,"cpu_cores":16,"build":"release"})");
    QVERIFY2(about.contains("1.13.1") && about.contains(qVersion()) && about.contains("16 cores"),
             qPrintable(about));
    QVERIFY(about.contains("CPU only"));
    QVERIFY(
        ui::aboutText(R"({"cuda_available":true,"cuda_devices":2})").contains("CUDA, 2 device"));
}

void TestRunIdentity::restoredGeometryFitsOnTheScreen() {
    const QRect screen(0, 0, 1280, 800);
    QCOMPARE(ui::fittedGeometry(QRect(100, 50, 800, 600), screen), QRect(100, 50, 800, 600));
    // Saved on a 4K monitor that is gone.
    QCOMPARE(ui::fittedGeometry(QRect(2000, 1200, 1600, 1000), screen), QRect(0, 0, 1280, 800));
    QCOMPARE(ui::fittedGeometry(QRect(-300, 700, 600, 400), screen), QRect(0, 400, 600, 400));
    // And in the window: an oversized geometry comes back inside the screen.
    ui::MainWindow window(*m_controller, m_store.get());
    window.setGeometry(5000, 4000, 9000, 7000);
    ui::fitOnScreen(&window);
    const QRect available = window.screen()->availableGeometry();
    QVERIFY2(available.contains(window.frameGeometry()), qPrintable(QString("%1,%2 %3x%4")
                                                                        .arg(window.x())
                                                                        .arg(window.y())
                                                                        .arg(window.width())
                                                                        .arg(window.height())));
}

void TestRunIdentity::cutOffCellsShowTheirTextOnHover() {
    const int64_t id =
        m_store->create_run("a run name far too long to fit the narrow name column of the table",
                            "gan_mlp", "{}", "{}", 10, "");
    m_store->set_notes(id, "first line\nand what I saw after that");
    ui::HistoryPanel* history = m_window->history();
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    history->refreshNow();
    QTableView* view = history->view();
    const int row = history->model()->rowOf(id);
    view->setColumnWidth(ui::HistoryModel::Name, 60);
    QVERIFY(row >= 0);
    auto at = [view](int column) {
        return view->visualRect(view->model()->index(0, column)).center();  // the only run
    };
    const QString name = ui::ElidedToolTips::toolTipAt(view, at(ui::HistoryModel::Name));
    QVERIFY2(name.startsWith("a run name far too long"), qPrintable(name));
    const QString notes = ui::ElidedToolTips::toolTipAt(view, at(ui::HistoryModel::Notes));
    QVERIFY2(notes.contains("and what I saw after that"), qPrintable(notes));
    QVERIFY(ui::ElidedToolTips::toolTipAt(view, at(ui::HistoryModel::Id)).isEmpty());
}

QTEST_MAIN(TestRunIdentity)
#include "test_run_identity.moc"
