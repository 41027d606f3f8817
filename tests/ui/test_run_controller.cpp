// RunController: creates the run row, passes the config to the engine, drains events in batches
// to the sink and then to one signal per batch, and reports refusals and failures.
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "engine/api/paths.h"
#include "engine/api/presets.h"
#include "storage/run_store.h"
#include "tests/ui/fake_engine.h"
#include "ui/run_controller.h"

using namespace wb;

class TestRunController final : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void startCreatesRowAndRequest();
    void invalidConfigIsRefusedWithoutARow();
    void engineRefusalIsReported();
    void eventsArriveInBatchesAfterTheSink();
    void controlAndStatus();
    void failedStatusIsReported();
    void continueResumesFromTheCheckpointFolder();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<storage::RunStore> m_store;
    std::unique_ptr<test::FakeEngine> m_engine;
    std::vector<api::RunEvent> m_sunk;
    std::unique_ptr<ui::RunController> m_controller;
};

void TestRunController::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_store = std::make_unique<storage::RunStore>(m_dir->filePath("runs.sqlite").toStdString());
    m_engine = std::make_unique<test::FakeEngine>();
    m_sunk.clear();
    m_controller = std::make_unique<ui::RunController>(
        *m_engine, *m_store, [this](const std::vector<api::RunEvent>& events) {
            m_sunk.insert(m_sunk.end(), events.begin(), events.end());
        });
}

void TestRunController::cleanup() {
    m_controller.reset();
    m_engine.reset();
    m_store.reset();
    m_dir.reset();
}

void TestRunController::startCreatesRowAndRequest() {
    api::RunConfig config = api::find_preset("gan-mixture2d")->config;
    config.train.steps = 1234;
    qint64 started = 0;
    connect(m_controller.get(), &ui::RunController::runStarted, this,
            [&](qint64 id) { started = id; });
    const int64_t id = m_controller->start(config, "first");
    QVERIFY(id > 0);
    QCOMPARE(started, id);
    const auto requests = m_engine->requests();
    QCOMPARE(requests.size(), std::size_t{1});
    QCOMPARE(requests[0].run_id, id);
    QVERIFY(requests[0].config == config);
    QCOMPARE(requests[0].checkpoint_dir, api::run_files_dir(m_store->path(), id));
    const auto row = m_store->get_run(id);
    QVERIFY(row);
    QCOMPARE(row->name, std::string("first"));
    QCOMPARE(row->model, std::string("gan_mlp"));
    QCOMPARE(row->total_steps, int64_t{1234});
    QCOMPARE(row->env_json, m_engine->environment_json());
    std::vector<api::ConfigError> errors;
    QVERIFY(api::RunConfig::from_json(nlohmann::json::parse(row->config_json), &errors) == config);
    QCOMPARE(m_controller->status(id), api::RunStatus::Queued);
    QVERIFY(m_controller->hasActiveRuns());
}

void TestRunController::invalidConfigIsRefusedWithoutARow() {
    api::RunConfig config = api::find_preset("gpt-char")->config;
    config.model.heads = 3;
    QString message;
    connect(m_controller.get(), &ui::RunController::startFailed, this,
            [&](const QString& m) { message = m; });
    QCOMPARE(m_controller->start(config, "bad"), int64_t{0});
    QVERIFY(message.contains("divisible"));
    QVERIFY(m_engine->requests().empty());
    QVERIFY(m_store->list_runs().empty());
}

void TestRunController::engineRefusalIsReported() {
    m_engine->refuseStarts({{"device", "cuda was requested but no GPU is usable"}});
    QString message;
    connect(m_controller.get(), &ui::RunController::startFailed, this,
            [&](const QString& m) { message = m; });
    QCOMPARE(m_controller->start(api::RunConfig{}, "refused"), int64_t{0});
    QVERIFY2(message.contains("no GPU is usable"), qPrintable(message));
    const auto runs = m_store->list_runs();
    QCOMPARE(runs.size(), std::size_t{1});
    QCOMPARE(runs[0].status, wb::api::RunStatus::Failed);
    QVERIFY(runs[0].error.find("no GPU") != std::string::npos);
    QVERIFY(!m_controller->hasActiveRuns());
}

void TestRunController::eventsArriveInBatchesAfterTheSink() {
    const int64_t id = m_controller->start(api::RunConfig{}, "batched");
    m_engine->pushMetrics(id, 1, 500, {"loss/g", "loss/d"});
    int batches = 0;
    std::size_t received = 0;
    std::size_t sunkAtSignal = 0;
    connect(m_controller.get(), &ui::RunController::eventsArrived, this,
            [&](const std::vector<api::RunEvent>& events) {
                ++batches;
                received += events.size();
                sunkAtSignal = m_sunk.size();
            });
    QTRY_VERIFY(batches > 0);
    QCOMPARE(batches, 1);                   // one signal for the whole batch
    QCOMPARE(received, std::size_t{1001});  // 1000 points + the Running status
    QCOMPARE(sunkAtSignal, received);       // storage saw them first
    QCOMPARE(m_controller->status(id), api::RunStatus::Running);
}

void TestRunController::controlAndStatus() {
    const int64_t id = m_controller->start(api::RunConfig{}, "steered");
    QList<api::RunStatus> seen;
    connect(m_controller.get(), &ui::RunController::runStatusChanged, this,
            [&](qint64, api::RunStatus s, const QString&) { seen.append(s); });
    m_controller->drainNow();
    m_controller->pause(id);
    m_controller->drainNow();
    QCOMPARE(m_controller->status(id), api::RunStatus::Paused);
    m_controller->resume(id);
    m_controller->stop(id);
    m_controller->drainNow();
    QCOMPARE(m_controller->status(id), api::RunStatus::Stopped);
    QVERIFY(!m_controller->hasActiveRuns());
    const auto calls = m_engine->controls();
    const std::vector<std::string> expected = {"pause:" + std::to_string(id),
                                               "resume:" + std::to_string(id),
                                               "stop:" + std::to_string(id)};
    QVERIFY(calls == expected);
    QCOMPARE(seen, (QList<api::RunStatus>{api::RunStatus::Running, api::RunStatus::Paused,
                                          api::RunStatus::Running, api::RunStatus::Stopped}));
    m_controller->stop(id);  // a final run is not stopped twice
    QCOMPARE(m_engine->controls().size(), std::size_t{3});
}

void TestRunController::failedStatusIsReported() {
    const int64_t id = m_controller->start(api::RunConfig{}, "doomed");
    m_engine->push(api::RunEvent::status_change(id, 7, 0.5, api::RunStatus::Failed,
                                                "loss became NaN at step 7; lower optim.lr",
                                                api::FailureKind::NonFinite));
    qint64 failedId = 0;
    QString message;
    connect(m_controller.get(), &ui::RunController::runFailed, this,
            [&](qint64 run, const QString& m) {
                failedId = run;
                message = m;
            });
    m_controller->drainNow();
    QCOMPARE(failedId, id);
    QVERIFY(message.contains("NaN"));
    QVERIFY(!m_controller->hasActiveRuns());
}

void TestRunController::continueResumesFromTheCheckpointFolder() {
    api::RunConfig config = api::find_preset("gan-mixture2d")->config;
    config.train.steps = 100;
    const int64_t id = m_controller->start(config, "to continue");
    QVERIFY(id > 0);
    QVERIFY(!m_controller->continueRun(id, 500));  // still training: refused
    m_store->set_status(id, wb::api::RunStatus::Stopped);
    m_engine->push(api::RunEvent::status_change(id, 50, 1.0, api::RunStatus::Stopped));
    m_controller->drainNow();
    QVERIFY(m_controller->continueRun(id, 500));
    const auto requests = m_engine->requests();
    QCOMPARE(requests.size(), std::size_t{2});
    QVERIFY(requests[1].resume);
    QCOMPARE(requests[1].run_id, id);
    QCOMPARE(requests[1].config.train.steps, int64_t{500});
    QCOMPARE(requests[1].checkpoint_dir, api::run_files_dir(m_store->path(), id));
    QCOMPARE(m_store->get_run(id)->total_steps, int64_t{500});
    QVERIFY(!m_controller->continueRun(999, 500));  // no such run
}

QTEST_MAIN(TestRunController)
#include "test_run_controller.moc"
