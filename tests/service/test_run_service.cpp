// RunService against FakeEngine: it validates before a row exists, records and starts runs,
// refuses damaged rows, locked databases and unwritable checkpoint folders with messages that
// name the cause, tracks statuses from drained batches, and edits the history.
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "engine/api/paths.h"
#include "engine/api/presets.h"
#include "engine/service/exit_codes.h"
#include "engine/service/run_service.h"
#include "storage/run_store.h"
#include "tests/storage/sqlite_peek.h"
#include "tests/ui/fake_engine.h"

using namespace wb;
using service::Refusal;
using storage::test::RawDb;

class TestRunService final : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void startRecordsTheRowAndStarts();
    void invalidConfigLeavesNoRow();
    void engineRefusalMarksTheRowFailed();
    void engineExceptionIsARefusal();
    void lockedDatabaseIsARefusal();
    void unwritableCheckpointFolderIsARefusal();
    void damagedConfigRowIsARefusal();
    void storedLeftoversOfAnotherModelAreReset();
    void continueRefusesLiveRunsAndUnknownIds();
    void continueAfterTheRunEndedHere();
    void continueRefusesArchitectureChanges();
    void continueWithoutCheckpointsNeedsARestart();
    void failedContinueLeavesTheRowAsItWas();
    void continueOfARunClaimedElsewhereIsBusy();
    void drainTracksStatusesAndSinkErrors();
    void historyEditsGoThroughTheService();
    void exitCodes();

private:
    std::string db() const { return m_dir->filePath("runs.sqlite").toStdString(); }
    api::RunConfig config(int64_t steps = 100) const {
        api::RunConfig c = api::find_preset("gan-mixture2d")->config;
        c.train.steps = steps;
        return c;
    }
    // A run that was started and has ended (Stopped), as after a finished training.
    int64_t stoppedRun() {
        const auto started = m_service->start(config(), "ended");
        if (!started.ok()) return 0;
        m_engine->push(
            api::RunEvent::status_change(started.run_id, 50, 1.0, api::RunStatus::Stopped));
        m_service->drain();
        m_store->set_status(started.run_id, api::RunStatus::Stopped);
        return started.run_id;
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<storage::RunStore> m_store;
    std::unique_ptr<test::FakeEngine> m_engine;
    std::unique_ptr<service::RunService> m_service;
    std::vector<api::RunEvent> m_sunk;
};

void TestRunService::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_store = std::make_unique<storage::RunStore>(db());
    m_engine = std::make_unique<test::FakeEngine>();
    m_sunk.clear();
    m_service = std::make_unique<service::RunService>(
        *m_engine, *m_store, [this](const std::vector<api::RunEvent>& events) {
            m_sunk.insert(m_sunk.end(), events.begin(), events.end());
        });
}

void TestRunService::cleanup() {
    m_service.reset();
    m_engine.reset();
    m_store.reset();
    m_dir.reset();
}

void TestRunService::startRecordsTheRowAndStarts() {
    const auto started = m_service->start(config(1234), "first");
    QVERIFY(started.ok());
    QVERIFY(started.run_id > 0);
    QCOMPARE(started.checkpoint_dir, api::run_files_dir(db(), started.run_id));
    QVERIFY(std::filesystem::is_directory(started.checkpoint_dir));
    const auto row = m_store->get_run(started.run_id);
    QVERIFY(row);
    QCOMPARE(row->status, api::RunStatus::Queued);
    QCOMPARE(row->name, std::string("first"));
    QCOMPARE(row->total_steps, int64_t{1234});
    QCOMPARE(row->checkpoint_dir, started.checkpoint_dir);
    const auto requests = m_engine->requests();
    QCOMPARE(requests.size(), std::size_t{1});
    QVERIFY(!requests[0].resume);
    QVERIFY(requests[0].config == config(1234));
    QCOMPARE(m_service->status(started.run_id), api::RunStatus::Queued);
    QCOMPARE(m_service->active_runs(), std::vector<int64_t>{started.run_id});
}

void TestRunService::invalidConfigLeavesNoRow() {
    api::RunConfig bad = api::find_preset("gpt-char")->config;
    bad.model.heads = 3;
    bad.train.steps = 0;
    const auto started = m_service->start(bad, "bad");
    QVERIFY(!started.ok());
    QCOMPARE(started.refusal->cause, Refusal::Cause::Config);
    QCOMPARE(started.refusal->problems.size(), std::size_t{2});  // every problem, at once
    QVERIFY2(started.refusal->message.find("divisible") != std::string::npos,
             started.refusal->message.c_str());
    QCOMPARE(service::exit_code(*started.refusal), service::kExitBadConfig);
    QVERIFY(m_store->list_runs().empty());
    QVERIFY(m_engine->requests().empty());
}

void TestRunService::engineRefusalMarksTheRowFailed() {
    m_engine->refuseStarts({{"device", "cuda was requested but no GPU is usable"}});
    const auto started = m_service->start(config(), "refused");
    QVERIFY(!started.ok());
    QCOMPARE(started.refusal->cause, Refusal::Cause::Config);
    QCOMPARE(service::exit_code(*started.refusal), service::kExitBadConfig);
    const auto row = m_store->get_run(started.run_id);
    QCOMPARE(row->status, api::RunStatus::Failed);
    QCOMPARE(row->failure, api::FailureKind::Config);
    QVERIFY(row->error.find("no GPU is usable") != std::string::npos);
    QVERIFY(m_service->active_runs().empty());
}

void TestRunService::engineExceptionIsARefusal() {
    m_engine->throwOnStart("CUDA driver version is insufficient");
    const auto started = m_service->start(config(), "crashing");
    QVERIFY(!started.ok());
    QCOMPARE(started.refusal->cause, Refusal::Cause::Engine);
    QCOMPARE(service::exit_code(*started.refusal), service::kExitFailure);
    QVERIFY(started.refusal->message.find("CUDA driver") != std::string::npos);
    QCOMPARE(m_store->get_run(started.run_id)->status, api::RunStatus::Failed);
    QCOMPARE(m_store->get_run(started.run_id)->failure, api::FailureKind::Other);
}

void TestRunService::lockedDatabaseIsARefusal() {
    RawDb other(db());
    other.exec("BEGIN EXCLUSIVE");  // another writer holds the lock past the 5 s busy timeout
    const auto started = m_service->start(config(), "blocked");
    QVERIFY(!started.ok());
    QCOMPARE(started.refusal->cause, Refusal::Cause::Storage);
    QCOMPARE(service::exit_code(*started.refusal), service::kExitFailure);
    const std::string& m = started.refusal->message;
    QVERIFY2(m.find("locked") != std::string::npos, m.c_str());
    QVERIFY2(m.find("close it and try again") != std::string::npos, m.c_str());
    QVERIFY(m_engine->requests().empty());
    other.exec("ROLLBACK");
    QVERIFY(m_store->list_runs().empty());
}

void TestRunService::unwritableCheckpointFolderIsARefusal() {
    // A file where the runs' folder belongs blocks it for every user, root included (chmod
    // would not stop root).
    const QString blocker = QString::fromStdString(db() + ".d");
    QFile file(blocker);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    const auto started = m_service->start(config(), "nowhere to write");
    QVERIFY(!started.ok());
    QCOMPARE(started.refusal->cause, Refusal::Cause::Checkpoint);
    QCOMPARE(service::exit_code(*started.refusal), service::kExitFailure);
    const std::string& m = started.refusal->message;
    QVERIFY2(m.find(blocker.toStdString()) != std::string::npos, m.c_str());
    QVERIFY2(m.find("file is in the way") != std::string::npos, m.c_str());
    QVERIFY(m_engine->requests().empty());
    const auto row = m_store->get_run(started.run_id);
    QCOMPARE(row->status, api::RunStatus::Failed);
    QCOMPARE(row->failure, api::FailureKind::Checkpoint);
}

void TestRunService::damagedConfigRowIsARefusal() {
    const int64_t id = stoppedRun();
    QVERIFY(id > 0);
    QVERIFY(m_service->stored_run(id).ok());
    RawDb(db()).exec("UPDATE runs SET config_json = '{'");
    const auto stored = m_service->stored_run(id);
    QVERIFY(!stored.ok());
    QCOMPARE(stored.refusal->cause, Refusal::Cause::Storage);
    QCOMPARE(service::exit_code(*stored.refusal), service::kExitFailure);
    const std::string& m = stored.refusal->message;
    QVERIFY2(m.find("damaged") != std::string::npos, m.c_str());
    QVERIFY2(m.find("run " + std::to_string(id)) != std::string::npos, m.c_str());
    QVERIFY2(m.find("start a new run") != std::string::npos, m.c_str());

    RawDb(db()).exec("UPDATE runs SET config_json = '[1, 2]'");  // JSON, but not settings
    QCOMPARE(m_service->stored_run(id).refusal->cause, Refusal::Cause::Storage);
}

// Settings stored before validation refused values a model never uses (the form kept them when
// the model was switched) still continue: those values are put back to their defaults.
void TestRunService::storedLeftoversOfAnotherModelAreReset() {
    const int64_t id = stoppedRun();
    QVERIFY(id > 0);
    auto j = m_service->stored_run(id).config.to_json();
    j["model"]["kind"] = "gpt";
    j["data"]["name"] = "text";
    j["model"]["latent_dim"] = 77;
    RawDb(db()).exec("UPDATE runs SET config_json = '" + j.dump() + "'");
    const auto stored = m_service->stored_run(id);
    QVERIFY(stored.ok());
    QCOMPARE(stored.config.model.latent_dim, api::RunConfig{}.model.latent_dim);
    QVERIFY2(stored.config.validate().empty(),
             api::format_errors(stored.config.validate()).c_str());
}

void TestRunService::continueRefusesLiveRunsAndUnknownIds() {
    const auto live = m_service->start(config(), "live");
    QVERIFY(live.ok());
    auto refused = m_service->continue_run(live.run_id, config(500));
    QVERIFY(!refused.ok());
    QCOMPARE(refused.refusal->cause, Refusal::Cause::Busy);
    QCOMPARE(service::exit_code(*refused.refusal), service::kExitBusy);
    QVERIFY(refused.refusal->message.find("still training") != std::string::npos);

    // Running in the database but not started here: another process trains it.
    const int64_t elsewhere =
        m_store->create_run("other", "gan_mlp", config().to_json().dump(), "{}", 100, "");
    m_store->set_status(elsewhere, api::RunStatus::Running);
    refused = m_service->continue_run(elsewhere, config(500));
    QVERIFY(!refused.ok());
    QVERIFY2(refused.refusal->message.find("another process") != std::string::npos,
             refused.refusal->message.c_str());

    refused = m_service->continue_run(999, config(500));
    QVERIFY(!refused.ok());
    QCOMPARE(refused.refusal->cause, Refusal::Cause::State);
    QVERIFY(refused.refusal->message.find("no run 999") != std::string::npos);
    QCOMPARE(m_engine->requests().size(), std::size_t{1});
}

void TestRunService::continueAfterTheRunEndedHere() {
    const auto started = m_service->start(config(100), "to continue");
    // The engine reported Stopped, but the Recorder has not committed it yet: the row still
    // reads running. A run this service saw end may continue anyway.
    m_store->set_status(started.run_id, api::RunStatus::Running);
    m_engine->push(api::RunEvent::status_change(started.run_id, 50, 1.0, api::RunStatus::Stopped));
    m_service->drain();
    QVERIFY(m_service->active_runs().empty());

    api::RunConfig more = m_service->stored_run(started.run_id).config;
    more.train.steps = 500;
    const auto continued = m_service->continue_run(started.run_id, more);
    QVERIFY2(continued.ok(), continued.refusal ? continued.refusal->message.c_str() : "");
    const auto requests = m_engine->requests();
    QCOMPARE(requests.size(), std::size_t{2});
    QVERIFY(requests[1].resume);
    QCOMPARE(requests[1].config.train.steps, int64_t{500});
    QCOMPARE(requests[1].checkpoint_dir, api::run_files_dir(db(), started.run_id));
    QCOMPARE(m_store->get_run(started.run_id)->total_steps, int64_t{500});
    QCOMPARE(continued.name, std::string("to continue"));

    // A refused continue leaves the row's settings as they were.
    m_engine->push(
        api::RunEvent::status_change(started.run_id, 500, 2.0, api::RunStatus::Completed));
    m_service->drain();
    m_engine->refuseStarts({{"device", "no GPU"}});
    more.train.steps = 900;
    QVERIFY(!m_service->continue_run(started.run_id, more).ok());
    QCOMPARE(m_store->get_run(started.run_id)->total_steps, int64_t{500});
}

namespace {

// The run's folder with one (fake) checkpoint file in it, as a run that saved one leaves it.
void put_checkpoint(const std::string& dir, int step) {
    std::filesystem::create_directories(dir);
    QFile f(QString::fromStdString(dir + "/ckpt-" + std::to_string(step) + ".pt"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("ckpt");
}

}  // namespace

// Issue 20, item 4: `resume --set model.width=64` on a width-128 run was accepted, and the run
// could then neither load its checkpoints nor be exported.
void TestRunService::continueRefusesArchitectureChanges() {
    const int64_t id = stoppedRun();
    const std::string stored_json = m_store->get_run(id)->config_json;
    api::RunConfig changed = m_service->stored_run(id).config;
    changed.train.steps = 500;
    changed.model.width = 64;
    changed.model.layers = 2;
    const auto refused = m_service->continue_run(id, changed);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.refusal->cause, Refusal::Cause::Config);
    QCOMPARE(refused.refusal->problems.size(), std::size_t{2});
    QCOMPARE(refused.refusal->problems[0].path, std::string("model.layers"));
    QCOMPARE(refused.refusal->problems[1].path, std::string("model.width"));
    QVERIFY2(refused.refusal->problems[1].message.find("trained with 128") != std::string::npos,
             refused.refusal->problems[1].message.c_str());
    QCOMPARE(m_store->get_run(id)->config_json, stored_json);
    QCOMPARE(m_store->get_run(id)->status, api::RunStatus::Stopped);
    QCOMPARE(m_engine->requests().size(), std::size_t{1});  // only the original start

    // What does not shape the networks may change.
    changed.model.width = 128;
    changed.model.layers = m_service->stored_run(id).config.model.layers;
    changed.optim.lr = 1e-4;
    put_checkpoint(api::run_files_dir(db(), id), 50);
    QVERIFY(m_service->continue_run(id, changed).ok());
}

// Issue 20, item 4: with the checkpoint folder gone, resume started from step 0 and replaced
// the stored points; now only an explicit restart does, once the new run is under way.
void TestRunService::continueWithoutCheckpointsNeedsARestart() {
    const int64_t id = stoppedRun();
    RawDb raw(db());
    raw.exec("UPDATE runs SET steps_done = 50");
    raw.exec("INSERT INTO metric_names (name) VALUES ('loss/g')");
    raw.exec("INSERT INTO metrics (run_id, name_id, step, wall_s, value) VALUES (" +
             std::to_string(id) + ", 1, 50, 1.0, 0.5)");
    api::RunConfig more = m_service->stored_run(id).config;
    more.train.steps = 500;
    const auto refused = m_service->continue_run(id, more);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.refusal->cause, Refusal::Cause::Checkpoint);
    const std::string& m = refused.refusal->message;
    QVERIFY2(m.find("no checkpoint left in " + api::run_files_dir(db(), id)) != std::string::npos,
             m.c_str());
    QVERIFY2(m.find("--restart") != std::string::npos, m.c_str());
    QCOMPARE(raw.count("SELECT COUNT(*) FROM metrics"), 1LL);
    QCOMPARE(m_store->get_run(id)->status, api::RunStatus::Stopped);
    QCOMPARE(m_engine->requests().size(), std::size_t{1});

    service::ContinueOptions restart;
    restart.restart_without_checkpoint = true;
    const auto continued = m_service->continue_run(id, more, restart);
    QVERIFY2(continued.ok(), continued.refusal ? continued.refusal->message.c_str() : "");
    QCOMPARE(raw.count("SELECT COUNT(*) FROM metrics"), 1LL);  // kept until it really runs
    m_service->drain();                                        // the engine reports Running
    QCOMPARE(raw.count("SELECT COUNT(*) FROM metrics"), 0LL);
    QCOMPARE(m_store->get_run(id)->steps_done, int64_t{0});
}

// Issue 20, item 4: a continue that failed before its first step stored "failed" and the new
// settings over a completed run.
void TestRunService::failedContinueLeavesTheRowAsItWas() {
    const int64_t id = stoppedRun();
    m_store->set_status(id, api::RunStatus::Completed);
    put_checkpoint(api::run_files_dir(db(), id), 50);
    // The history reaches the checkpoint (a Recorder would have stored the steps).
    RawDb(db()).exec("UPDATE runs SET steps_done = 50");
    const auto before = *m_store->get_run(id);
    m_engine->failSetUp("no usable checkpoint in the folder");
    api::RunConfig more = m_service->stored_run(id).config;
    more.train.steps = 900;
    m_sunk.clear();
    QVERIFY(m_service->continue_run(id, more).ok());
    QCOMPARE(m_store->get_run(id)->status, api::RunStatus::Queued);  // claimed meanwhile
    const auto drained = m_service->drain();

    // The caller still sees the failure; storage never gets it.
    QCOMPARE(m_service->status(id), api::RunStatus::Failed);
    QCOMPARE(drained.events.size(), std::size_t{2});
    QCOMPARE(m_sunk.size(), std::size_t{1});
    QCOMPARE(m_sunk[0].kind, api::EventKind::Log);
    QCOMPARE(drained.notes.size(), std::size_t{1});
    QVERIFY2(drained.notes[0].find("left as it was (completed") != std::string::npos,
             drained.notes[0].c_str());
    const auto after = *m_store->get_run(id);
    QCOMPARE(after.status, api::RunStatus::Completed);
    QCOMPARE(after.config_json, before.config_json);
    QCOMPARE(after.total_steps, before.total_steps);
    QCOMPARE(after.ended_at, before.ended_at);
    QVERIFY(after.error.empty());
}

// Issue 20, item 5: the claim is one write, so of two continues only one gets the run; the
// other is told who has it and gets the "busy" exit code.
void TestRunService::continueOfARunClaimedElsewhereIsBusy() {
    const int64_t id = stoppedRun();
    put_checkpoint(api::run_files_dir(db(), id), 50);
    storage::RunStore other(db());
    QVERIFY(other.claim_run(id, false).claimed);
    // The claim was this process's (one pid for both stores): make it another live process's.
    RawDb(db()).exec("UPDATE runs SET owner_pid = 1");
    api::RunConfig more = m_service->stored_run(id).config;
    more.train.steps = 500;
    const auto refused = m_service->continue_run(id, more);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.refusal->cause, Refusal::Cause::Busy);
    QCOMPARE(service::exit_code(*refused.refusal), service::kExitBusy);
    QCOMPARE(m_engine->requests().size(), std::size_t{1});
}

void TestRunService::drainTracksStatusesAndSinkErrors() {
    const auto started = m_service->start(config(), "drained");
    m_engine->pushMetrics(started.run_id, 1, 10, {"loss/g"});
    auto drained = m_service->drain();
    QCOMPARE(drained.events.size(), std::size_t{11});  // Running + 10 points
    QCOMPARE(m_sunk.size(), drained.events.size());
    QVERIFY(drained.sink_error.empty());
    QCOMPARE(m_service->status(started.run_id), api::RunStatus::Running);

    service::RunService broken(*m_engine, *m_store, [](const std::vector<api::RunEvent>&) {
        throw storage::StorageError("runs.sqlite: disk I/O error");
    });
    m_engine->push(api::RunEvent::status_change(started.run_id, 10, 1.0, api::RunStatus::Failed,
                                                "NaN", api::FailureKind::NonFinite));
    drained = broken.drain();
    QCOMPARE(drained.events.size(), std::size_t{1});  // still handed back for the widgets
    QVERIFY(drained.sink_error.find("disk I/O error") != std::string::npos);
    QCOMPARE(broken.status(started.run_id), api::RunStatus::Failed);
}

void TestRunService::historyEditsGoThroughTheService() {
    const int64_t id = stoppedRun();
    QVERIFY(!m_service->rename(id, "better name"));
    QVERIFY(!m_service->set_notes(id, "lr too high"));
    QCOMPARE(m_store->get_run(id)->name, std::string("better name"));
    QCOMPARE(m_store->get_run(id)->notes, std::string("lr too high"));
    const auto empty = m_service->rename(id, "  ");
    QVERIFY(empty);
    QCOMPARE(m_store->get_run(id)->name, std::string("better name"));
    QCOMPARE(m_service->rename(4242, "x")->cause, Refusal::Cause::Storage);

    const auto live = m_service->start(config(), "live");
    const auto refused = m_service->delete_run(live.run_id);
    QVERIFY(refused);
    QCOMPARE(refused->cause, Refusal::Cause::State);
    QVERIFY(m_store->get_run(live.run_id));

    const std::string dir = api::run_files_dir(db(), id);
    QVERIFY(std::filesystem::is_directory(dir));
    QVERIFY(!m_service->delete_run(id));
    QVERIFY(!m_store->get_run(id));
    QVERIFY(!std::filesystem::exists(dir));
    QVERIFY(!m_service->delete_run(id));  // already gone: nothing to refuse
}

void TestRunService::exitCodes() {
    using api::FailureKind;
    using api::RunStatus;
    QCOMPARE(service::exit_code(RunStatus::Completed, FailureKind::Unset), service::kExitOk);
    QCOMPARE(service::exit_code(RunStatus::Stopped, FailureKind::Unset), service::kExitInterrupted);
    QCOMPARE(service::exit_code(RunStatus::Failed, FailureKind::Data), service::kExitDataProblem);
    QCOMPARE(service::exit_code(RunStatus::Failed, FailureKind::Config), service::kExitBadConfig);
    QCOMPARE(service::exit_code(RunStatus::Failed, FailureKind::Checkpoint), service::kExitFailure);
    QCOMPARE(service::exit_code(RunStatus::Interrupted, FailureKind::Unset), service::kExitFailure);
    QCOMPARE(int(service::kExitInterrupted), 130);
}

QTEST_GUILESS_MAIN(TestRunService)
#include "test_run_service.moc"
