// Interrupted runs: a run left queued/running/paused by a process that died is reported
// "interrupted" on the next open; runs of live processes and of other hosts are left alone.
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <functional>

#include <sys/wait.h>
#include <unistd.h>

#include "storage/recorder.h"
#include "storage/run_store.h"
#include "tests/storage/sqlite_peek.h"

using wb::api::RunEvent;
using wb::api::RunStatus;
using wb::storage::Recorder;
using wb::storage::RunStore;
using wb::storage::test::RawDb;

namespace {

// Runs `body` in a child process that then dies without any cleanup, like a crashed trainer.
// Returns the child's pid, already reaped so the kernel has forgotten it.
pid_t in_dead_child(const std::function<void()>& body) {
    const pid_t pid = fork();
    if (pid == 0) {
        int code = 0;
        try {
            body();
        } catch (...) {
            code = 1;
        }
        _exit(code);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    return pid;
}

}  // namespace

class TestStorageInterrupted final : public QObject {
    Q_OBJECT

private slots:
    void init();
    void deadOwnerBecomesInterrupted();
    void liveOwnerIsLeftAlone();
    void recorderStatusClaimsTheRun();
    void otherHostIsLeftAlone();
    void ownerFromAnotherBootIsGone();
    void finishedRunsAreNotTouched();

private:
    std::string db_path() const { return m_dir->filePath("runs.sqlite").toStdString(); }

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestStorageInterrupted::init() {
    m_dir = std::make_unique<QTemporaryDir>();
}

void TestStorageInterrupted::deadOwnerBecomesInterrupted() {
    const std::string path = db_path();
    const pid_t child = in_dead_child([&] {
        RunStore store(path);
        store.set_status(store.create_run("running", "vae", "{}", "{}", 10, ""),
                         wb::api::RunStatus::Running);
        store.set_status(store.create_run("paused", "vae", "{}", "{}", 10, ""),
                         wb::api::RunStatus::Paused);
        store.create_run("queued", "vae", "{}", "{}", 10, "");
    });
    QVERIFY(child > 0);
    {
        RawDb raw(path);
        QCOMPARE(raw.count("SELECT COUNT(*) FROM runs WHERE owner_pid = " + std::to_string(child)),
                 3LL);
        QCOMPARE(raw.count("SELECT COUNT(*) FROM runs WHERE status = 'interrupted'"), 0LL);
    }

    RunStore store(path);
    const auto runs = store.list_runs();
    QCOMPARE(runs.size(), std::size_t(3));
    for (const auto& run : runs) {
        QCOMPARE(run.status, wb::api::RunStatus::Interrupted);
        QVERIFY(run.ended_at > 0);
    }
    QCOMPARE(store.mark_interrupted_runs(), 0);
}

void TestStorageInterrupted::liveOwnerIsLeftAlone() {
    RunStore store(db_path());
    const int64_t id = store.create_run("alive", "vae", "{}", "{}", 10, "");
    store.set_status(id, wb::api::RunStatus::Running);

    RunStore second(db_path());
    QCOMPARE(second.get_run(id)->status, wb::api::RunStatus::Running);
    QCOMPARE(second.mark_interrupted_runs(), 0);
    RawDb raw(db_path());
    QCOMPARE(raw.count("SELECT owner_pid FROM runs"), static_cast<long long>(getpid()));
}

void TestStorageInterrupted::recorderStatusClaimsTheRun() {
#if defined(__SANITIZE_THREAD__)
    QSKIP(
        "ThreadSanitizer cannot follow a thread started in a forked child (\"dup thread with "
        "used id\"); the normal build runs this case");
#endif
    const std::string path = db_path();
    int64_t id = 0;
    {
        // Closed before fork(): SQLite connections must not cross into a child process.
        RunStore store(path);
        id = store.create_run("handed over", "vae", "{}", "{}", 10, "");
    }
    // Another process resumes the run through its Recorder, then dies.
    const pid_t child = in_dead_child([&] {
        Recorder recorder(path);
        recorder.record({RunEvent::status_change(id, 3, 0.3, RunStatus::Running)});
        recorder.flush();
    });
    QVERIFY(child > 0);
    {
        RawDb raw(path);
        QCOMPARE(raw.scalar("SELECT status FROM runs"), std::string("running"));
        QCOMPARE(raw.count("SELECT owner_pid FROM runs"), static_cast<long long>(child));
    }
    RunStore store(path);
    QCOMPARE(store.get_run(id)->status, wb::api::RunStatus::Interrupted);
    QCOMPARE(store.get_run(id)->steps_done, int64_t(3));
}

void TestStorageInterrupted::otherHostIsLeftAlone() {
    const std::string path = db_path();
    const pid_t dead = in_dead_child([] {});
    QVERIFY(dead > 0);
    int64_t id = 0;
    {
        RunStore store(path);
        id = store.create_run("remote", "vae", "{}", "{}", 10, "");
        store.set_status(id, wb::api::RunStatus::Running);
    }
    {
        RawDb raw(path);
        raw.exec("UPDATE runs SET owner_host = 'some-other-node', owner_pid = " +
                 std::to_string(dead));
    }
    RunStore store(path);
    QCOMPARE(store.get_run(id)->status, wb::api::RunStatus::Running);
}

void TestStorageInterrupted::ownerFromAnotherBootIsGone() {
    if (!QFile::exists("/proc/sys/kernel/random/boot_id")) QSKIP("no Linux boot id on this system");
    const std::string path = db_path();
    int64_t id = 0;
    {
        RunStore store(path);
        id = store.create_run("before reboot", "vae", "{}", "{}", 10, "");
        store.set_status(id, wb::api::RunStatus::Running);
    }
    {
        // Our own live pid, but recorded in an earlier boot: it names some other process now.
        RawDb raw(path);
        raw.exec("UPDATE runs SET owner_boot = 'an-earlier-boot'");
    }
    RunStore store(path);
    QCOMPARE(store.get_run(id)->status, wb::api::RunStatus::Interrupted);
}

void TestStorageInterrupted::finishedRunsAreNotTouched() {
    const std::string path = db_path();
    const pid_t child = in_dead_child([&] {
        RunStore store(path);
        store.set_status(store.create_run("done", "vae", "{}", "{}", 10, ""),
                         wb::api::RunStatus::Completed);
        store.set_status(store.create_run("broke", "vae", "{}", "{}", 10, ""),
                         wb::api::RunStatus::Failed, "boom");
    });
    QVERIFY(child > 0);
    RunStore store(path);
    const auto runs = store.list_runs();
    QCOMPARE(runs.size(), std::size_t(2));
    QCOMPARE(runs[0].status, wb::api::RunStatus::Failed);
    QCOMPARE(runs[0].error, std::string("boom"));
    QCOMPARE(runs[1].status, wb::api::RunStatus::Completed);
}

QTEST_GUILESS_MAIN(TestStorageInterrupted)
#include "test_storage_interrupted.moc"
