// RunStore: creating, listing, editing and deleting runs, and the status rules
// (timestamps, error, failure kind) a status change applies.
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <ctime>
#include <thread>

#include "storage/recorder.h"
#include "storage/run_store.h"
#include "tests/storage/sqlite_peek.h"

using wb::api::RunEvent;
using wb::api::RunStatus;
using wb::storage::Recorder;
using wb::storage::RunStore;
using wb::storage::StorageError;
using wb::storage::test::RawDb;

class TestStorageRunStore final : public QObject {
    Q_OBJECT

private slots:
    void init();
    void createAndGet();
    void listIsNewestFirst();
    void renameAndNotes();
    void updateConfig();
    void unknownIdsAreReported();
    void statusTimestamps();
    void failedKeepsMessageUntilRestarted();
    void unknownStatusIsRefused();
    void deleteRemovesEveryRowOfThatRunOnly();
    void claimIsAtomicAcrossConnections();
    void releasedClaimRestoresTheRow();

private:
    std::string db_path() const { return m_dir->filePath("runs.sqlite").toStdString(); }

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestStorageRunStore::init() {
    m_dir = std::make_unique<QTemporaryDir>();
}

void TestStorageRunStore::createAndGet() {
    RunStore store(db_path());
    const double before = static_cast<double>(std::time(nullptr));
    const int64_t id = store.create_run("ring", "gan_mlp", R"({"train":{"steps":500}})",
                                        R"({"device":"cpu"})", 500, "/ckpt/ring");
    QVERIFY(id > 0);
    const auto row = store.get_run(id);
    QVERIFY(row.has_value());
    QCOMPARE(row->id, id);
    QCOMPARE(row->name, std::string("ring"));
    QCOMPARE(row->status, wb::api::RunStatus::Queued);
    QCOMPARE(row->model, std::string("gan_mlp"));
    QCOMPARE(row->config_json, std::string(R"({"train":{"steps":500}})"));
    QCOMPARE(row->env_json, std::string(R"({"device":"cpu"})"));
    QCOMPARE(row->checkpoint_dir, std::string("/ckpt/ring"));
    QCOMPARE(row->total_steps, int64_t(500));
    QCOMPARE(row->steps_done, int64_t(0));
    QVERIFY(row->created_at >= before - 1 && row->created_at <= before + 5);
    QCOMPARE(row->started_at, 0.0);
    QCOMPARE(row->ended_at, 0.0);
    QVERIFY(row->notes.empty() && row->error.empty());
    QCOMPARE(row->failure, wb::api::FailureKind::Unset);
    QVERIFY(!store.get_run(id + 100).has_value());
}

void TestStorageRunStore::listIsNewestFirst() {
    RunStore store(db_path());
    QVERIFY(store.list_runs().empty());
    const int64_t a = store.create_run("a", "vae", "{}", "{}", 1, "");
    const int64_t b = store.create_run("b", "gpt", "{}", "{}", 1, "");
    const int64_t c = store.create_run("c", "dcgan", "{}", "{}", 1, "");
    const auto runs = store.list_runs();
    QCOMPARE(runs.size(), std::size_t(3));
    QCOMPARE(runs[0].id, c);
    QCOMPARE(runs[1].id, b);
    QCOMPARE(runs[2].id, a);
    QCOMPARE(runs[1].model, std::string("gpt"));
}

void TestStorageRunStore::renameAndNotes() {
    RunStore store(db_path());
    const int64_t id = store.create_run("old", "vae", "{}", "{}", 1, "");
    store.rename(id, "new name");
    store.set_notes(id, "lr too high?\nsecond line");
    RunStore reader(db_path());
    const auto row = reader.get_run(id);
    QCOMPARE(row->name, std::string("new name"));
    QCOMPARE(row->notes, std::string("lr too high?\nsecond line"));
}

void TestStorageRunStore::updateConfig() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "vae", R"({"a":1})", "{}", 100, "");
    store.update_config(id, R"({"a":2})", 300);
    const auto row = store.get_run(id);
    QCOMPARE(row->config_json, std::string(R"({"a":2})"));
    QCOMPARE(row->total_steps, int64_t(300));
}

void TestStorageRunStore::unknownIdsAreReported() {
    RunStore store(db_path());
    QVERIFY_THROWS_EXCEPTION(StorageError, store.rename(42, "x"));
    QVERIFY_THROWS_EXCEPTION(StorageError, store.set_notes(42, "x"));
    QVERIFY_THROWS_EXCEPTION(StorageError, store.update_config(42, "{}", 1));
    QVERIFY_THROWS_EXCEPTION(StorageError, store.set_status(42, wb::api::RunStatus::Running));
    try {
        store.rename(42, "x");
    } catch (const StorageError& e) {
        QVERIFY(std::string(e.what()).find("42") != std::string::npos);
        QVERIFY(std::string(e.what()).find(db_path()) != std::string::npos);
    }
}

void TestStorageRunStore::statusTimestamps() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "vae", "{}", "{}", 1, "");

    store.set_status(id, wb::api::RunStatus::Running);
    const auto running = store.get_run(id);
    QCOMPARE(running->status, wb::api::RunStatus::Running);
    QVERIFY(running->started_at >= running->created_at);
    QCOMPARE(running->ended_at, 0.0);

    store.set_status(id, wb::api::RunStatus::Paused);
    QCOMPARE(store.get_run(id)->ended_at, 0.0);

    store.set_status(id, wb::api::RunStatus::Stopped);
    const auto stopped = store.get_run(id);
    QVERIFY(stopped->ended_at >= running->started_at);

    // A resume keeps when the run first started and reopens its end.
    store.set_status(id, wb::api::RunStatus::Running);
    const auto resumed = store.get_run(id);
    QCOMPARE(resumed->started_at, running->started_at);
    QCOMPARE(resumed->ended_at, 0.0);

    store.set_status(id, wb::api::RunStatus::Completed);
    QCOMPARE(store.get_run(id)->status, wb::api::RunStatus::Completed);
    QVERIFY(store.get_run(id)->ended_at > 0);
}

void TestStorageRunStore::failedKeepsMessageUntilRestarted() {
    const std::string path = db_path();
    RunStore store(path);
    const int64_t id = store.create_run("r", "vae", "{}", "{}", 1, "");
    {
        Recorder recorder(path);
        recorder.record(
            {RunEvent::status_change(id, 7, 1.5, wb::api::RunStatus::Failed, "CUDA out of memory",
                                     wb::api::FailureKind::OutOfMemory)});
    }
    auto row = store.get_run(id);
    QCOMPARE(row->error, std::string("CUDA out of memory"));
    QCOMPARE(row->failure, wb::api::FailureKind::OutOfMemory);

    store.set_status(id, wb::api::RunStatus::Failed, "disk vanished");
    row = store.get_run(id);
    QCOMPARE(row->error, std::string("disk vanished"));
    QCOMPARE(row->failure, wb::api::FailureKind::OutOfMemory);

    store.set_status(id, wb::api::RunStatus::Running);
    row = store.get_run(id);
    QVERIFY(row->error.empty());
    QCOMPARE(row->failure, wb::api::FailureKind::Unset);

    store.set_status(id, wb::api::RunStatus::Failed, "no space left",
                     wb::api::FailureKind::Checkpoint);
    row = store.get_run(id);
    QCOMPARE(row->failure, wb::api::FailureKind::Checkpoint);
    QCOMPARE(RawDb(path).scalar("SELECT failure FROM runs"), std::string("checkpoint"));
}

void TestStorageRunStore::unknownStatusIsRefused() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "vae", "{}", "{}", 1, "");
    QVERIFY_THROWS_EXCEPTION(StorageError, store.set_status(id, wb::api::RunStatus::Unset));
    QCOMPARE(store.get_run(id)->status, wb::api::RunStatus::Queued);
    QCOMPARE(RawDb(db_path()).scalar("SELECT status FROM runs"), std::string("queued"));
    // Text this version does not know (a newer version's status) reads as Unset, not as a
    // wrong status.
    RawDb(db_path()).exec("UPDATE runs SET status = 'exploded', failure = 'meteor'");
    QCOMPARE(store.get_run(id)->status, wb::api::RunStatus::Unset);
    QCOMPARE(store.get_run(id)->failure, wb::api::FailureKind::Unset);
}

void TestStorageRunStore::deleteRemovesEveryRowOfThatRunOnly() {
    const std::string path = db_path();
    RunStore store(path);
    const int64_t doomed = store.create_run("doomed", "vae", "{}", "{}", 10, "");
    const int64_t kept = store.create_run("kept", "vae", "{}", "{}", 10, "");
    {
        Recorder recorder(path);
        for (int64_t run : {doomed, kept})
            recorder.record({RunEvent::metric(run, 1, 0.1, "loss/g", 1.0),
                             RunEvent::sample(run, 1, 0.1, wb::api::kSampleText, "hello"),
                             RunEvent::log(run, 1, 0.1, "info", "started"),
                             RunEvent::checkpoint(run, 1, 0.1, "/ckpt/1.pt")});
    }
    QVERIFY(store.delete_run(doomed));
    QVERIFY(!store.get_run(doomed).has_value());
    QVERIFY(!store.delete_run(doomed));

    RawDb raw(path);
    for (const char* table : {"metrics", "samples", "logs", "checkpoints"}) {
        const std::string from = std::string("SELECT COUNT(*) FROM ") + table + " WHERE run_id = ";
        QVERIFY2(raw.count(from + std::to_string(doomed)) == 0, table);
        QVERIFY2(raw.count(from + std::to_string(kept)) == 1, table);
    }
    QCOMPARE(store.metrics(kept, "loss/g").size(), std::size_t(1));
    QCOMPARE(store.list_runs().size(), std::size_t(1));
}

// Issue 20, item 5: two processes continuing one run at once must not both get it. Each thread
// has a connection of its own, as two processes would; exactly one claim wins every round.
void TestStorageRunStore::claimIsAtomicAcrossConnections() {
    RunStore setup(db_path());
    const int64_t id = setup.create_run("r", "vae", "{}", "{}", 10, "");
    for (int round = 0; round < 20; ++round) {
        setup.set_status(id, RunStatus::Completed);
        std::atomic<int> claimed{0};
        std::atomic<bool> go{false};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&] {
                RunStore store(db_path());
                while (!go) std::this_thread::yield();
                if (store.claim_run(id, false).claimed) ++claimed;
            });
        go = true;
        for (auto& t : threads) t.join();
        QCOMPARE(claimed.load(), 1);
        QCOMPARE(setup.get_run(id)->status, RunStatus::Queued);
    }
    const auto refused = setup.claim_run(id, false);
    QVERIFY(!refused.claimed);
    QCOMPARE(refused.holder.pid, wb::storage::current_owner().pid);
    QVERIFY(setup.claim_run(id, true).claimed);  // this process's own live row
    QVERIFY_THROWS_EXCEPTION(wb::storage::StorageError, setup.claim_run(id + 99, false));
}

void TestStorageRunStore::releasedClaimRestoresTheRow() {
    RunStore store(db_path());
    const int64_t id = store.create_run("r", "vae", R"({"a":1})", "{}", 10, "");
    store.set_status(id, RunStatus::Failed, "diverged", wb::api::FailureKind::NonFinite);
    const auto claim = store.claim_run(id, false);
    QVERIFY(claim.claimed);
    store.update_config(id, R"({"a":2})", 50);
    store.release_claim(claim.before);
    const auto row = store.get_run(id);
    QCOMPARE(row->status, RunStatus::Failed);
    QCOMPARE(row->error, std::string("diverged"));
    QCOMPARE(row->failure, wb::api::FailureKind::NonFinite);
    QCOMPARE(row->config_json, std::string(R"({"a":1})"));
    QCOMPARE(row->total_steps, int64_t{10});
    QCOMPARE(row->ended_at, claim.before.ended_at);
}

QTEST_GUILESS_MAIN(TestStorageRunStore)
#include "test_storage_run_store.moc"
