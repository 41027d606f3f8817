// MainWindow: toggles in the form change the config that Start sends to the engine; an invalid
// config disables Start; the run controls steer the shown run; configs load from files and drops.
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "engine/api/presets.h"
#include "storage/run_store.h"
#include "tests/ui/fake_engine.h"
#include "ui/config_form.h"
#include "ui/float_spin_box.h"
#include "ui/history_panel.h"
#include "ui/live_view.h"
#include "ui/main_window.h"
#include "ui/run_controller.h"
#include "ui/run_controls.h"
#include "ui/run_setup_panel.h"

using namespace wb;

class TestMainWindow final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void togglesChangeWhatStartSends();
    void invalidConfigDisablesStart();
    void controlsSteerTheShownRun();
    void configLoadsFromFileAndDrop();
    void shortcutsWorkFromTheForm();
    void closingStopsTrainingRuns();

private:
    ui::ConfigForm* form() const { return m_window->setupPanel()->form(); }
    void closeMessageBoxes() {
        for (auto* box : m_window->findChildren<QMessageBox*>()) box->done(0);
        QCoreApplication::processEvents();
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<storage::RunStore> m_store;
    std::unique_ptr<test::FakeEngine> m_engine;
    std::unique_ptr<ui::RunController> m_controller;
    std::unique_ptr<ui::MainWindow> m_window;
};

void TestMainWindow::initTestCase() {
    // QSettings writes go to a test location, not the user's config.
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("genai-workbench-test");
    QCoreApplication::setApplicationName("test_ui_main_window");
}

void TestMainWindow::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_store = std::make_unique<storage::RunStore>(m_dir->filePath("runs.sqlite").toStdString());
    m_engine = std::make_unique<test::FakeEngine>();
    m_controller = std::make_unique<ui::RunController>(*m_engine, *m_store, nullptr);
    m_window = std::make_unique<ui::MainWindow>(*m_controller, m_store.get());
    QVERIFY(m_window->selectPreset("gan-mixture2d"));
}

void TestMainWindow::cleanup() {
    closeMessageBoxes();
    m_window.reset();
    m_controller.reset();
    m_engine.reset();
    m_store.reset();
    m_dir.reset();
}

void TestMainWindow::togglesChangeWhatStartSends() {
    qobject_cast<QComboBox*>(form()->editor("optim.name"))->setCurrentText("sgd");
    qobject_cast<QSpinBox*>(form()->editor("train.batch_size"))->setValue(64);
    qobject_cast<QComboBox*>(form()->editor("device"))->setCurrentText("cpu");
    qobject_cast<ui::FloatSpinBox*>(form()->editor("optim.lr"))->setValue(0.02);
    QAction* start = m_window->controls()->startAction();
    QVERIFY(start->isEnabled());
    start->trigger();

    const auto requests = m_engine->requests();
    QCOMPARE(requests.size(), std::size_t{1});
    const api::RunConfig& sent = requests[0].config;
    QCOMPARE(sent.optim.name, std::string("sgd"));
    QCOMPARE(sent.train.batch_size, int64_t{64});
    QCOMPARE(sent.device, std::string("cpu"));
    QCOMPARE(sent.optim.lr, 0.02);
    // Everything else is the preset's.
    api::RunConfig expected = api::find_preset("gan-mixture2d")->config;
    expected.optim.name = "sgd";
    expected.train.batch_size = 64;
    expected.device = "cpu";
    expected.optim.lr = 0.02;
    QVERIFY(sent == expected);
    QCOMPARE(m_window->liveView()->shownRun(), requests[0].run_id);
}

void TestMainWindow::invalidConfigDisablesStart() {
    QVERIFY(m_window->selectPreset("gpt-char"));
    QAction* start = m_window->controls()->startAction();
    QVERIFY(start->isEnabled());
    qobject_cast<QSpinBox*>(form()->editor("model.width"))->setValue(130);  // heads = 4
    QVERIFY(!start->isEnabled());
    QVERIFY(form()->errorLabel("model.heads")->text().contains("divisible by “Attention heads” 4"));
    start->trigger();  // a disabled action does nothing
    QVERIFY(m_engine->requests().empty());
    QCOMPARE(m_window->startRun(), int64_t{0});  // and so does a programmatic start
    QVERIFY(m_engine->requests().empty());

    qobject_cast<QSpinBox*>(form()->editor("model.width"))->setValue(128);
    QVERIFY(start->isEnabled());
    qobject_cast<QComboBox*>(form()->editor("data.name"))->setCurrentText("fashion_mnist");
    QVERIFY(!start->isEnabled());
    QVERIFY(form()->errorLabel("data.name")->text().contains("use “Dataset” = text"));
}

void TestMainWindow::controlsSteerTheShownRun() {
    ui::RunControls* controls = m_window->controls();
    QVERIFY(!controls->pauseAction()->isEnabled());  // nothing to pause yet
    controls->startAction()->trigger();
    const int64_t id = m_engine->requests().at(0).run_id;
    m_controller->drainNow();
    QVERIFY(controls->pauseAction()->isEnabled());
    QVERIFY(controls->stopAction()->isEnabled());
    controls->pauseAction()->trigger();
    m_controller->drainNow();
    QCOMPARE(controls->pauseAction()->text(), QString("Resume"));
    controls->pauseAction()->trigger();
    m_controller->drainNow();
    QCOMPARE(controls->pauseAction()->text(), QString("Pause"));
    controls->stopAction()->trigger();
    m_controller->drainNow();
    QVERIFY(!controls->stopAction()->isEnabled());
    const std::vector<std::string> expected = {"pause:" + std::to_string(id),
                                               "resume:" + std::to_string(id),
                                               "stop:" + std::to_string(id)};
    QVERIFY(m_engine->controls() == expected);
    // A second run can start while one trains.
    controls->startAction()->trigger();
    controls->startAction()->trigger();
    QCOMPARE(m_engine->requests().size(), std::size_t{3});
    QCOMPARE(m_controller->activeRuns().size(), std::size_t{2});
}

void TestMainWindow::configLoadsFromFileAndDrop() {
    const QString path = m_dir->filePath("cfg.json");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"model": {"kind": "vae"}, "data": {"name": "fashion_mnist"},
                "train": {"steps": 77}, "bogus": 1})");
    f.close();
    QVERIFY(m_window->loadConfigFile(path));
    QCOMPARE(m_window->setupPanel()->config().train.steps, int64_t{77});
    QCOMPARE(m_window->setupPanel()->config().model.kind, std::string("vae"));
    // The unknown key is reported, not silently dropped.
    bool reported = false;
    for (auto* box : m_window->findChildren<QMessageBox*>())
        reported = reported || box->text().contains("bogus");
    QVERIFY(reported);
    closeMessageBoxes();

    const QString dropped = m_dir->filePath("dropped.json");
    QFile g(dropped);
    QVERIFY(g.open(QIODevice::WriteOnly));
    g.write(R"({"train": {"steps": 4321}})");
    g.close();
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(dropped)});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(m_window.get(), &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(m_window.get(), &drop);
    QCOMPARE(m_window->setupPanel()->config().train.steps, int64_t{4321});

    QVERIFY(!m_window->loadConfigFile(m_dir->filePath("missing.json")));
}

void TestMainWindow::shortcutsWorkFromTheForm() {
    m_window->show();
    QApplication::setActiveWindow(m_window.get());
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QWidget* spin = form()->editor("train.batch_size");
    spin->setFocus();
    QTest::keyClick(spin, Qt::Key_Return, Qt::ControlModifier);
    QCOMPARE(m_engine->requests().size(), std::size_t{1});
    const int64_t id = m_engine->requests().at(0).run_id;
    m_controller->drainNow();
    QTest::keyClick(spin, Qt::Key_P, Qt::ControlModifier);
    QTest::keyClick(spin, Qt::Key_Period, Qt::ControlModifier);
    QVERIFY(m_engine->controls() == (std::vector<std::string>{"pause:" + std::to_string(id),
                                                              "stop:" + std::to_string(id)}));
}

void TestMainWindow::closingStopsTrainingRuns() {
    m_window->show();
    m_window->controls()->startAction()->trigger();
    m_controller->drainNow();
    const int64_t id = m_engine->requests().at(0).run_id;
    bool asked = false;
    QTimer::singleShot(50, this, [&asked] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box) return;
        asked = box->text().contains("still training");
        box->button(QMessageBox::Yes)->click();
    });
    QVERIFY(m_window->close());
    QVERIFY(asked);
    QVERIFY(m_engine->controls() == std::vector<std::string>{"stop:" + std::to_string(id)});
}

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
