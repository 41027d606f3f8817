// Opening databases: the schema a fresh file gets, and the files the storage layer must refuse
// without changing a byte (garbage, damaged headers, newer schemas, folders).
#include <QByteArray>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "storage/recorder.h"
#include "storage/run_store.h"
#include "tests/storage/sqlite_peek.h"

using wb::storage::Recorder;
using wb::storage::RunStore;
using wb::storage::StorageError;
using wb::storage::test::RawDb;

namespace {

QByteArray read_bytes(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.readAll();
}

void write_bytes(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(bytes), bytes.size());
}

// Both entry points open the file, so both must refuse it the same way.
template <typename Open>
QString refusal(Open open) {
    try {
        open();
    } catch (const StorageError& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

}  // namespace

class TestStorageSchema final : public QObject {
    Q_OBJECT

private slots:
    void freshFileGetsCurrentSchema();
    void createsMissingParentFolders();
    void reopenKeepsRunsAndVersion();
    void deletedRunIdsAreNeverReused();
    void oldFileMigratesToIdsThatAreNeverReused();
    void emptyFileBecomesDatabase();
    void garbageFileIsRefusedUntouched();
    void damagedHeaderIsRefusedUntouched();
    void newerSchemaIsRefusedUntouched();
    void folderIsRefused();
    void openingASecondConnectionKeepsTheFirstOnesLock();
    void defaultPathFollowsXdg();
    void foreignSqliteFileIsRefusedUntouched();
    void readOnlyStoreNeverCreatesNorWrites();
    void negativeSchemaVersionIsRefusedUntouched();
    void fuzzFindingsAreRefused();
};

void TestStorageSchema::freshFileGetsCurrentSchema() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("runs.sqlite").toStdString();
    { RunStore store(path); }
    RawDb raw(path);
    QCOMPARE(raw.scalar("PRAGMA user_version"), std::string("4"));
    QCOMPARE(raw.scalar("PRAGMA journal_mode"), std::string("wal"));
    for (const char* table :
         {"runs", "metric_names", "metrics", "samples", "logs", "checkpoints", "metric_series"})
        QVERIFY2(raw.count(std::string("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND "
                                       "name='") +
                           table + "'") == 1,
                 table);
    const std::string metrics_sql =
        raw.scalar("SELECT sql FROM sqlite_master WHERE name = 'metrics'");
    QVERIFY(metrics_sql.find("WITHOUT ROWID") != std::string::npos);
    QVERIFY(metrics_sql.find("PRIMARY KEY (run_id, name_id, step)") != std::string::npos);
    for (const char* column : {"owner_pid", "owner_host", "failure", "checkpoint_dir", "wall_s"})
        QVERIFY2(raw.count(std::string("SELECT COUNT(*) FROM pragma_table_info('runs') WHERE "
                                       "name='") +
                           column + "'") == 1,
                 column);
    QCOMPARE(raw.count("SELECT COUNT(*) FROM sqlite_master WHERE name = 'samples_by_run'"), 1LL);
}

void TestStorageSchema::createsMissingParentFolders() {
    QTemporaryDir dir;
    const QString path = dir.filePath("a/b/c/runs.sqlite");
    RunStore store(path.toStdString());
    QCOMPARE(store.path(), path.toStdString());
    QVERIFY(QFile::exists(path));
}

void TestStorageSchema::reopenKeepsRunsAndVersion() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("runs.sqlite").toStdString();
    int64_t id = 0;
    {
        RunStore store(path);
        id = store.create_run("first", "gan_mlp", "{}", "{}", 10, "");
        store.set_status(id, wb::api::RunStatus::Completed);
    }
    RunStore again(path);
    QCOMPARE(again.list_runs().size(), std::size_t(1));
    QCOMPARE(again.get_run(id)->name, std::string("first"));
    RawDb raw(path);
    QCOMPARE(raw.scalar("PRAGMA user_version"), std::string("4"));
}

void TestStorageSchema::deletedRunIdsAreNeverReused() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("runs.sqlite").toStdString();
    int64_t last = 0;
    {
        RunStore store(path);
        store.create_run("a", "gan_mlp", "{}", "{}", 10, "");
        last = store.create_run("b", "gan_mlp", "{}", "{}", 10, "");
        QVERIFY(store.delete_run(last));
        QCOMPARE(store.create_run("c", "gan_mlp", "{}", "{}", 10, ""), last + 1);
        QVERIFY(store.delete_run(last + 1));
    }
    // The counter lives in the file, not in the connection.
    RunStore again(path);
    QCOMPARE(again.create_run("d", "gan_mlp", "{}", "{}", 10, ""), last + 2);
}

// A file from before AUTOINCREMENT (schema 2) keeps its runs; its new ids start above every id
// that still has rows, even rows left behind by a run deleted earlier.
void TestStorageSchema::oldFileMigratesToIdsThatAreNeverReused() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("runs.sqlite").toStdString();
    { RunStore store(path); }
    {
        RawDb raw(path);
        raw.exec(
            "DROP TABLE runs; CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT NOT NULL "
            "DEFAULT '', status TEXT NOT NULL DEFAULT 'queued', model TEXT NOT NULL DEFAULT '', "
            "config_json TEXT NOT NULL DEFAULT '{}', env_json TEXT NOT NULL DEFAULT '{}', notes "
            "TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', failure TEXT NOT NULL "
            "DEFAULT '', checkpoint_dir TEXT NOT NULL DEFAULT '', steps_done INTEGER NOT NULL "
            "DEFAULT 0, total_steps INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL DEFAULT "
            "0, started_at REAL NOT NULL DEFAULT 0, ended_at REAL NOT NULL DEFAULT 0, wall_s REAL "
            "NOT NULL DEFAULT 0, owner_pid INTEGER NOT NULL DEFAULT 0, owner_host TEXT NOT NULL "
            "DEFAULT '', owner_boot TEXT NOT NULL DEFAULT '');"
            "DELETE FROM sqlite_sequence;"
            "INSERT INTO runs (id, name, status, total_steps) VALUES (1, 'kept', 'completed', 7),"
            " (2, 'also kept', 'failed', 9);"
            "INSERT INTO logs (run_id, step, wall_s, level, text) VALUES (5, 0, 0, 'info', 'x');"
            "DROP TABLE queue; DROP TABLE scheduler_lock;"  // added by schema 4
            "PRAGMA user_version = 2;");
    }
    RunStore store(path);
    {
        RawDb raw(path);
        QCOMPARE(raw.scalar("PRAGMA user_version"), std::string("4"));
        QVERIFY(
            raw.scalar("SELECT sql FROM sqlite_master WHERE name = 'runs'").find("AUTOINCREMENT") !=
            std::string::npos);
    }
    const auto runs = store.list_runs();
    QCOMPARE(runs.size(), std::size_t(2));
    QCOMPARE(runs[1].name, std::string("kept"));
    QCOMPARE(runs[1].total_steps, int64_t(7));
    QCOMPARE(runs[0].status, wb::api::RunStatus::Failed);
    const int64_t fresh = store.create_run("new", "gpt", "{}", "{}", 3, "");
    QCOMPARE(fresh, int64_t(6));
    QVERIFY(store.logs(fresh).empty());
    QVERIFY(store.delete_run(fresh));
    QCOMPARE(store.create_run("newer", "gpt", "{}", "{}", 3, ""), int64_t(7));
}

void TestStorageSchema::emptyFileBecomesDatabase() {
    QTemporaryDir dir;
    const QString path = dir.filePath("empty.sqlite");
    write_bytes(path, {});
    RunStore store(path.toStdString());
    QVERIFY(store.create_run("r", "vae", "{}", "{}", 1, "") > 0);
}

void TestStorageSchema::garbageFileIsRefusedUntouched() {
    QTemporaryDir dir;
    const QString path = dir.filePath("notes.sqlite");
    QByteArray garbage;
    for (int i = 0; i < 8192; ++i) garbage.append(static_cast<char>((i * 131 + 7) % 256));
    write_bytes(path, garbage);

    const QString message = refusal([&] { RunStore store(path.toStdString()); });
    QVERIFY2(message.contains(path), qPrintable(message));
    QVERIFY2(message.contains("not a SQLite database"), qPrintable(message));
    QVERIFY2(message.contains("move it aside"), qPrintable(message));
    QVERIFY2(message.contains("--db"), qPrintable(message));
    QVERIFY(!refusal([&] { Recorder recorder(path.toStdString()); }).isEmpty());

    QCOMPARE(read_bytes(path), garbage);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"notes.sqlite"});
}

void TestStorageSchema::damagedHeaderIsRefusedUntouched() {
    QTemporaryDir dir;
    const QString path = dir.filePath("damaged.sqlite");
    // The right magic, then nonsense where the page size and format bytes belong.
    QByteArray bytes("SQLite format 3", 16);
    bytes.append(QByteArray(4080, '\xee'));
    write_bytes(path, bytes);

    const QString message = refusal([&] { RunStore store(path.toStdString()); });
    QVERIFY2(message.contains(path), qPrintable(message));
    QVERIFY2(message.contains("move it aside"), qPrintable(message));
    QCOMPARE(read_bytes(path), bytes);
}

void TestStorageSchema::newerSchemaIsRefusedUntouched() {
    QTemporaryDir dir;
    const QString path = dir.filePath("future.sqlite");
    {
        RunStore store(path.toStdString());
        store.create_run("from the future", "gpt", "{}", "{}", 5, "");
    }
    {
        RawDb raw(path.toStdString());
        raw.exec("PRAGMA user_version = 7");
    }
    const QByteArray before = read_bytes(path);

    const QString message = refusal([&] { RunStore store(path.toStdString()); });
    QVERIFY2(message.contains(path), qPrintable(message));
    QVERIFY2(message.contains("newer"), qPrintable(message));
    QVERIFY2(message.contains("Upgrade"), qPrintable(message));
    QVERIFY(refusal([&] { Recorder recorder(path.toStdString()); }).contains("newer"));

    QCOMPARE(read_bytes(path), before);
    RawDb raw(path.toStdString());
    QCOMPARE(raw.scalar("PRAGMA user_version"), std::string("7"));
}

void TestStorageSchema::folderIsRefused() {
    QTemporaryDir dir;
    const QString message = refusal([&] { RunStore store(dir.path().toStdString()); });
    QVERIFY2(message.contains("folder"), qPrintable(message));
    QVERIFY2(message.contains("--db"), qPrintable(message));
}

void TestStorageSchema::defaultPathFollowsXdg() {
    const QByteArray old_xdg = qgetenv("XDG_DATA_HOME");
    const QByteArray old_home = qgetenv("HOME");

    qputenv("XDG_DATA_HOME", "/srv/data");
    QCOMPARE(wb::storage::default_db_path(), std::string("/srv/data/genai-workbench/runs.sqlite"));
    qputenv("HOME", "/home/ada");
    qunsetenv("XDG_DATA_HOME");
    QCOMPARE(wb::storage::default_db_path(),
             std::string("/home/ada/.local/share/genai-workbench/runs.sqlite"));
    // The XDG spec says relative values are invalid and must be ignored.
    qputenv("XDG_DATA_HOME", "relative/dir");
    QCOMPARE(wb::storage::default_db_path(),
             std::string("/home/ada/.local/share/genai-workbench/runs.sqlite"));

    qputenv("XDG_DATA_HOME", old_xdg);
    if (old_xdg.isNull()) qunsetenv("XDG_DATA_HOME");
    qputenv("HOME", old_home);
}

// SQLite keeps a POSIX read lock on the database file while a WAL connection is open, so that
// no other process deletes the WAL under it. POSIX locks belong to the process: closing any
// other descriptor of the same file drops them. Opening a second connection (the CLI opens a
// RunStore and a Recorder) must therefore not open and close the file itself.
void TestStorageSchema::openingASecondConnectionKeepsTheFirstOnesLock() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("runs.sqlite").toStdString();
    { RunStore create(path); }  // a non-empty file, so the header check runs below
    RunStore first(path);
    QVERIFY(first.list_runs().empty());  // a read: the connection now holds its lock
    auto another_process_sees_a_lock = [&] {
        const pid_t child = fork();
        if (child == 0) {
            const int fd = ::open(path.c_str(), O_RDWR);
            struct flock probe {};
            probe.l_type = F_WRLCK;
            probe.l_whence = SEEK_SET;
            probe.l_start = 0;
            probe.l_len = 0;  // the whole file, SQLite's lock bytes included
            const bool locked =
                fd >= 0 && fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
            _exit(locked ? 0 : 1);
        }
        int status = 0;
        waitpid(child, &status, 0);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    };
    QVERIFY(another_process_sees_a_lock());
    { Recorder second(path); }
    QVERIFY2(another_process_sees_a_lock(),
             "opening a second connection dropped the first one's lock");
}

// Issue 20, item 9: another program's SQLite file got our tables and was switched to WAL.
void TestStorageSchema::foreignSqliteFileIsRefusedUntouched() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("photos.db").toStdString();
    {
        sqlite3* db = nullptr;
        sqlite3_open(path.c_str(), &db);
        sqlite3_exec(db, "CREATE TABLE photos (path TEXT); CREATE TABLE tags (name TEXT)", nullptr,
                     nullptr, nullptr);
        sqlite3_close(db);
    }
    QFile file(QString::fromStdString(path));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray before = file.readAll();
    file.close();
    for (int read_only = 0; read_only < 2; ++read_only) {
        try {
            if (read_only)
                RunStore store(path, RunStore::ReadOnly{});
            else
                RunStore store(path);
            QFAIL("a foreign database was opened");
        } catch (const StorageError& e) {
            QVERIFY2(std::string(e.what()).find("another program (its tables: photos, tags)") !=
                         std::string::npos,
                     e.what());
        }
    }
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), before);
    QVERIFY(!QFile::exists(QString::fromStdString(path + "-wal")));
}

// Issue 20, items 7 and 9: reading commands created a mistyped path and wrote to the file.
void TestStorageSchema::readOnlyStoreNeverCreatesNorWrites() {
    QTemporaryDir dir;
    const std::string missing = dir.filePath("typo/runs.sqlite").toStdString();
    QVERIFY_THROWS_EXCEPTION(StorageError, RunStore(missing, RunStore::ReadOnly{}));
    QVERIFY(!QDir(dir.filePath("typo")).exists());

    const std::string path = dir.filePath("runs.sqlite").toStdString();
    int64_t id = 0;
    {
        RunStore store(path);
        id = store.create_run("r", "vae", "{}", "{}", 10, "");
        store.set_status(id, wb::api::RunStatus::Running);
    }
    RawDb(path).exec("UPDATE runs SET owner_pid = 2147483646");  // a process that is gone
    RunStore reader(path, RunStore::ReadOnly{});
    QCOMPARE(reader.get_run(id)->status, wb::api::RunStatus::Interrupted);
    QCOMPARE(reader.list_runs().at(0).status, wb::api::RunStatus::Interrupted);
    QCOMPARE(RawDb(path).scalar("SELECT status FROM runs"), std::string("running"));
    QVERIFY_THROWS_EXCEPTION(StorageError, reader.rename(id, "x"));
    QCOMPARE(RawDb(path).scalar("SELECT name FROM runs"), std::string("r"));
}

// Found by fuzz_database: a negative user_version indexed the migrations before their start
// (UBSan: index -16777220 out of bounds), in read-write opens and read-only ones alike.
void TestStorageSchema::negativeSchemaVersionIsRefusedUntouched() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("negative.sqlite").toStdString();
    {
        sqlite3* db = nullptr;
        sqlite3_open(path.c_str(), &db);
        sqlite3_exec(db, "PRAGMA user_version = -16777220", nullptr, nullptr, nullptr);
        sqlite3_close(db);
    }
    const QByteArray before = read_bytes(QString::fromStdString(path));
    const QString why_rw = refusal([&] { RunStore store(path); });
    const QString why_ro = refusal([&] { RunStore store(path, RunStore::ReadOnly{}); });
    for (const QString& why : {why_rw, why_ro})
        QVERIFY2(why.contains("is not a GenAI Workbench run history (its schema version is "
                              "-16777220)") &&
                     why.contains("left untouched"),
                 qPrintable(why));
    QCOMPARE(read_bytes(QString::fromStdString(path)), before);
}

// Every input a fuzzer found (fuzz/regressions/fuzz_database/) opens or is refused with a
// StorageError; none may crash.
void TestStorageSchema::fuzzFindingsAreRefused() {
    QTemporaryDir dir;
    QDirIterator it(WB_SOURCE_DIR "/fuzz/regressions/fuzz_database", QDir::Files);
    int inputs = 0;
    while (it.hasNext()) {
        const QString copy = dir.filePath(QString("input-%1.sqlite").arg(++inputs));
        QVERIFY(QFile::copy(it.next(), copy));
        const std::string path = copy.toStdString();
        refusal([&] {
            RunStore store(path, RunStore::ReadOnly{});
            for (const auto& run : store.list_runs())
                for (const auto& name : store.metric_names(run.id)) store.metrics(run.id, name);
        });
    }
    QVERIFY(inputs >= 1);
}

QTEST_GUILESS_MAIN(TestStorageSchema)
#include "test_storage_schema.moc"
