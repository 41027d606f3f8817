// The Queue panel (issue 18) on a real database: it lists the queue in the scheduler's order,
// a drag (moveRun), a priority change and a cancel change the stored queue, and its scheduler
// refuses to run when the worker program is missing or another scheduler holds the lock.
#include <QtTest>

#include <unistd.h>

#include <sqlite3.h>

#include <QPlainTextEdit>

#include "storage/run_store.h"
#include "ui/queue_panel.h"

using namespace wb;

class TestQueuePanel final : public QObject {
    Q_OBJECT

private slots:
    void listsMovesReprioritisesAndCancels();
    void schedulerRefusesWithoutWorkerOrLock();
};

void TestQueuePanel::listsMovesReprioritisesAndCancels() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("q.sqlite").toStdString();
    storage::RunStore store(path);
    storage::QueueResources one;
    const int64_t a = store.enqueue_run("a", "gan_mlp", "{}", "{}", 10, one, 0, "");
    const int64_t b = store.enqueue_run("b", "gan_mlp", "{}", "{}", 10, one, 0, "");
    const int64_t c = store.enqueue_run("c", "gan_mlp", "{}", "{}", 10, one, 0, "");
    ui::QueuePanel panel;
    panel.setDatabase(path, 0);
    QCOMPARE(panel.shownRuns(), (std::vector<int64_t>{a, b, c}));
    panel.moveRun(c, a);  // what dropping c on a's row does
    QCOMPARE(panel.shownRuns(), (std::vector<int64_t>{c, a, b}));
    std::vector<int64_t> stored;
    for (const auto& e : store.queue_entries(false)) stored.push_back(e.run_id);
    QCOMPARE(stored, (std::vector<int64_t>{c, a, b}));
    panel.changePriority(b, +1);
    QCOMPARE(panel.shownRuns(), (std::vector<int64_t>{b, c, a}));
    QCOMPARE(store.queue_entry(b)->priority, int64_t(1));
    panel.cancelRun(c);
    QCOMPARE(panel.shownRuns(), (std::vector<int64_t>{b, a}));
    QCOMPARE(store.get_run(c)->status, api::RunStatus::Stopped);
    QCOMPARE(store.queue_entry(c)->state, storage::QueueState::Cancelled);
}

void TestQueuePanel::schedulerRefusesWithoutWorkerOrLock() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("q.sqlite").toStdString();
    storage::RunStore store(path);
    ui::QueuePanel panel;
    panel.setDatabase(path, 0);
    auto* log = panel.findChild<QPlainTextEdit*>();
    panel.setWorkerExecutable(dir.filePath("no-such-workbench-cli"));
    QVERIFY(!panel.setSchedulerRunning(true));
    QVERIFY(!panel.schedulerRunning());
    QVERIFY2(log->toPlainText().contains("no-such-workbench-cli"), qPrintable(log->toPlainText()));
    // /bin/true stands in for the worker: the lock is what is tested here.
    panel.setWorkerExecutable("/bin/true");
    QVERIFY(panel.setSchedulerRunning(true));
    QVERIFY(panel.schedulerRunning());
    // Another live process holding the lock (ctest, our parent, written into the lock row) is
    // named, and the panel's scheduler stays off.
    QVERIFY(panel.setSchedulerRunning(false));
    QVERIFY(!store.take_scheduler_lock());
    sqlite3* raw = nullptr;
    QCOMPARE(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    const std::string sql = "UPDATE scheduler_lock SET owner_pid = " + std::to_string(getppid());
    QCOMPARE(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
    QVERIFY(!panel.setSchedulerRunning(true));
    QVERIFY(!panel.schedulerRunning());
    QVERIFY2(log->toPlainText().contains("another scheduler already runs this queue: pid " +
                                         QString::number(getppid())),
             qPrintable(log->toPlainText()));
}

QTEST_MAIN(TestQueuePanel)
#include "test_queue_panel.moc"
