// MainWindow when a run cannot start or continue: a damaged config row, a database another
// writer holds locked, and an unwritable checkpoint folder each end in a dialog naming the
// cause, never in an abort.
#include <QApplication>
#include <QFile>
#include <QMessageBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include "engine/api/paths.h"
#include "storage/run_store.h"
#include "tests/storage/sqlite_peek.h"
#include "tests/ui/fake_engine.h"
#include "ui/history_panel.h"
#include "ui/main_window.h"
#include "ui/run_controller.h"

using namespace wb;

class TestRunFailures final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void damagedConfigRowShowsADialog();
    void lockedDatabaseShowsADialog();
    void unwritableCheckpointFolderShowsADialog();

private:
    std::string db() const { return m_dir->filePath("runs.sqlite").toStdString(); }
    // The texts of the dialogs the window has open; closes them.
    QStringList takeDialogs() {
        QStringList texts;
        for (auto* box : m_window->findChildren<QMessageBox*>()) {
            texts << box->text();
            box->done(0);
        }
        QCoreApplication::processEvents();
        return texts;
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<storage::RunStore> m_store;
    std::unique_ptr<test::FakeEngine> m_engine;
    std::unique_ptr<ui::RunController> m_controller;
    std::unique_ptr<ui::MainWindow> m_window;
};

void TestRunFailures::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("genai-workbench-test");
    QCoreApplication::setApplicationName("test_ui_run_failures");
}

void TestRunFailures::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_store = std::make_unique<storage::RunStore>(db());
    m_engine = std::make_unique<test::FakeEngine>();
    m_controller = std::make_unique<ui::RunController>(*m_engine, *m_store, nullptr);
    m_window = std::make_unique<ui::MainWindow>(*m_controller, m_store.get());
    QVERIFY(m_window->selectPreset("gan-mixture2d"));
}

void TestRunFailures::cleanup() {
    takeDialogs();
    m_window.reset();
    m_controller.reset();
    m_engine.reset();
    m_store.reset();
    m_dir.reset();
}

void TestRunFailures::damagedConfigRowShowsADialog() {
    const int64_t id = m_window->startRun();
    QVERIFY(id > 0);
    m_engine->push(api::RunEvent::status_change(id, 50, 1.0, api::RunStatus::Stopped));
    m_controller->drainNow();
    m_store->set_status(id, api::RunStatus::Stopped);
    storage::test::RawDb(db()).exec("UPDATE runs SET config_json = '{'");
    // Should the refusal regress, the step dialog would block: close it so the test fails
    // instead of hanging.
    QTimer::singleShot(3000, [] {
        if (QWidget* modal = QApplication::activeModalWidget()) modal->close();
    });
    emit m_window->history()->continueRequested(id);
    const QStringList dialogs = takeDialogs();
    QCOMPARE(dialogs.size(), 1);
    QVERIFY2(dialogs[0].contains("damaged"), qPrintable(dialogs[0]));
    QVERIFY(dialogs[0].contains(QString("run %1").arg(id)));
    QCOMPARE(m_engine->requests().size(), std::size_t{1});  // nothing was resumed
}

void TestRunFailures::lockedDatabaseShowsADialog() {
    storage::test::RawDb other(db());
    other.exec("BEGIN EXCLUSIVE");
    QCOMPARE(m_window->startRun(), int64_t{0});
    const QStringList dialogs = takeDialogs();
    QCOMPARE(dialogs.size(), 1);
    QVERIFY2(dialogs[0].contains("locked"), qPrintable(dialogs[0]));
    QVERIFY(m_engine->requests().empty());
    other.exec("ROLLBACK");
    QVERIFY(m_store->list_runs().empty());
}

void TestRunFailures::unwritableCheckpointFolderShowsADialog() {
    QFile blocker(QString::fromStdString(db() + ".d"));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    QCOMPARE(m_window->startRun(), int64_t{0});
    const QStringList dialogs = takeDialogs();
    QCOMPARE(dialogs.size(), 1);
    QVERIFY2(dialogs[0].contains("checkpoints"), qPrintable(dialogs[0]));
    QVERIFY(dialogs[0].contains(blocker.fileName()));
    QVERIFY(m_engine->requests().empty());
    const auto runs = m_store->list_runs();
    QCOMPARE(runs.size(), std::size_t{1});
    QCOMPARE(runs[0].status, api::RunStatus::Failed);
    QCOMPARE(runs[0].failure, api::FailureKind::Checkpoint);
}

QTEST_MAIN(TestRunFailures)
#include "test_run_failures.moc"
