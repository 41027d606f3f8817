// workbench-cli under the faults of issue 20: a database locked by another writer during a run,
// and each of the other "Found" items as a regression test. Each case drives the real binary.
#include <QtTest>

#include <csignal>
#include <fstream>

#include <sys/resource.h>
#include <sys/stat.h>

#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "storage/run_store.h"

using nlohmann::json;

namespace {

using Result = wb::test::CliResult;

Result cli(const QStringList& args, int timeout_ms = 240000, rlim_t file_size_limit = 0) {
    return wb::test::run_cli(args, timeout_ms, file_size_limit);
}

// Another program's connection to the same file.
class OtherConnection {
public:
    explicit OtherConnection(const QString& db) {
        sqlite3_open_v2(db.toUtf8().constData(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr);
    }
    ~OtherConnection() { sqlite3_close(m_db); }
    bool exec(const char* sql) { return sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr) == 0; }
    long long count(const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(m_db, sql.c_str(), -1, &st, nullptr);
        const long long n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
        sqlite3_finalize(st);
        return n;
    }
    std::string text(const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(m_db, sql.c_str(), -1, &st, nullptr);
        std::string s;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr)
            s = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return s;
    }

private:
    sqlite3* m_db = nullptr;
};

long long points(OtherConnection& c, int64_t run, const char* metric) {
    return c.count(
        "SELECT COUNT(*) FROM metrics m JOIN metric_names n ON n.id = m.name_id "
        "WHERE m.run_id = " +
        std::to_string(run) + " AND n.name = '" + metric + "'");
}

QByteArray read_all(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("(missing)");
}

// Every file under `dir` by relative path, with its bytes.
std::map<QString, QByteArray> snapshot(const QString& dir) {
    std::map<QString, QByteArray> files;
    QDirIterator it(dir, QDir::Files | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        files[QDir(dir).relativeFilePath(path)] = read_all(path);
    }
    return files;
}

}  // namespace

class TestCliFaults final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_run_db;  ///< a short finished run, for the export cases
    QString m_run_id;

    // A finished run of `steps` steps (checkpoints at the end) in a database of its own.
    QString train(const QString& db, int steps) {
        auto r = cli({"run", "--preset", "gan-mixture2d", "--db", db, "--json", "--set",
                      QString("train.steps=%1").arg(steps), "--set", "train.threads=1"});
        if (r.code != 0) qWarning("%s", qPrintable(r.err));
        return r.code == 0 ? QString::number(json::parse(r.out.toStdString())["id"].get<int64_t>())
                           : QString();
    }

    // A finished 400-step run, trained once for every export case.
    void trainOnce() {
        if (!m_run_db.isEmpty()) return;
        m_run_db = m_dir.filePath("trained.sqlite");
        m_run_id = train(m_run_db, 400);
        QVERIFY(!m_run_id.isEmpty());
    }

    static std::string row(const QString& db, const QString& id, const char* columns) {
        return OtherConnection(db).text(std::string("SELECT ") + columns +
                                        " FROM runs WHERE id = " + id.toStdString());
    }

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        qputenv("XDG_CONFIG_HOME", m_dir.filePath("config").toUtf8());
    }

    // Issue 20, item 1 (a lock past the busy timeout) is in test_fault_injection.cpp.

    // Issue 20, item 2: `export` to a full disk exited 0 and left truncated or empty files in
    // place of the earlier export's good ones.
    void exportToAFullDiskKeepsTheEarlierFiles() {
        trainOnce();
        const QString out = m_dir.filePath("export");
        auto first = cli({"export", m_run_id, "--db", m_run_db, "--out", out});
        QVERIFY2(first.code == 0, qPrintable(first.err));
        const auto before = snapshot(out);
        QVERIFY(read_all(out + "/metrics.csv").size() > 100000);

        auto full = cli({"export", m_run_id, "--db", m_run_db, "--out", out}, 240000, 40000);
        QVERIFY2(full.code == 1, qPrintable(QString("exit %1: %2").arg(full.code).arg(full.err)));
        QVERIFY2(full.err.contains("cannot write " + out + "/metrics.csv"), qPrintable(full.err));
        QVERIFY2(full.err.contains("File too large"), qPrintable(full.err));
        QVERIFY(snapshot(out) == before);  // no torn file, no temporary left behind
    }

    void exportModelToAFullDiskKeepsTheEarlierModel() {
        trainOnce();
        const QString model = m_dir.filePath("g.pt");
        auto first = cli({"export", m_run_id, "--db", m_run_db, "--model", model});
        QVERIFY2(first.code == 0, qPrintable(first.err));
        const QByteArray good = read_all(model);
        QVERIFY(good.size() > 40000);
        auto full = cli({"export", m_run_id, "--db", m_run_db, "--model", model}, 240000, 40000);
        QVERIFY2(full.code == 1, qPrintable(full.err));
        QVERIFY2(full.err.contains("cannot write " + model), qPrintable(full.err));
        QVERIFY(!full.err.contains("terminate called"));
        QCOMPARE(read_all(model), good);
        QVERIFY(!QFile::exists(model + ".tmp"));
    }

    // A rename over a device or FIFO replaced it with a regular file (as root even /dev/full).
    void exportModelRefusesAPathThatIsNoRegularFile() {
        trainOnce();
        const QString fifo = m_dir.filePath("pipe");
        QCOMPARE(::mkfifo(fifo.toLocal8Bit().constData(), 0600), 0);
        auto r = cli({"export", m_run_id, "--db", m_run_db, "--model", fifo});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("not a regular file"), qPrintable(r.err));
        struct stat st {};
        QCOMPARE(::stat(fifo.toLocal8Bit().constData(), &st), 0);
        QVERIFY(S_ISFIFO(st.st_mode));
        QVERIFY(!QFile::exists(fifo + ".json"));
        QVERIFY(!QFile::exists(fifo + ".tmp"));
    }

    // Issue 20, item 6: output to a failing device ended 0 (or in an abort).
    void outputToAFailingDeviceIsAFailure() {
        trainOnce();
        for (const QStringList& args : {QStringList{"metrics", m_run_id, "--db", m_run_db},
                                        QStringList{"runs", "--json", "--db", m_run_db}}) {
            QProcess p;
            p.setStandardOutputFile("/dev/full");
            p.start(WB_CLI_PATH, args);
            QVERIFY(p.waitForFinished(60000));
            const QString err = QString::fromUtf8(p.readAllStandardError());
            QCOMPARE(p.exitStatus(), QProcess::NormalExit);
            QVERIFY2(p.exitCode() == 1, qPrintable(args.join(' ') + ": " + err));
            QVERIFY2(err.contains("output could not be written"), qPrintable(err));
        }
    }

    // Issue 20, item 4: the width-128 run was continued as width 64, failed to load its
    // checkpoint, and was left failed with settings it was never trained with.
    void resumeRefusesAnArchitectureChange() {
        const QString db = m_dir.filePath("arch.sqlite");
        const QString id = train(db, 200);
        QVERIFY(!id.isEmpty());
        auto r =
            cli({"resume", id, "--db", db, "--set", "model.width=64", "--set", "train.steps=300"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("model.width: the run was trained with 128"), qPrintable(r.err));
        QCOMPARE(row(db, id, "status || ' ' || steps_done || ' ' || total_steps"),
                 std::string("completed 200 200"));
        QCOMPARE(row(db, id, "json_extract(config_json, '$.model.width')"), std::string("128"));
    }

    // Issue 20, item 4: with the checkpoint folder gone, resume warned "starting from step 0"
    // and wrote a fresh run over the stored points.
    void resumeWithoutCheckpointsNeedsRestart() {
        const QString db = m_dir.filePath("gone.sqlite");
        const QString id = train(db, 200);
        QVERIFY(!id.isEmpty());
        QVERIFY(QDir(db + ".d/run-" + id).removeRecursively());
        OtherConnection c(db);
        const std::string first_loss = c.text("SELECT value FROM metrics WHERE step = 1 LIMIT 1");
        auto refused = cli({"resume", id, "--db", db, "--set", "train.steps=300"});
        QVERIFY2(refused.code == 1, qPrintable(refused.err));
        QVERIFY2(refused.err.contains("no checkpoint left"), qPrintable(refused.err));
        QVERIFY2(refused.err.contains("--restart"), qPrintable(refused.err));
        QCOMPARE(points(c, id.toLongLong(), "loss/g"), 200LL);
        QCOMPARE(row(db, id, "status || ' ' || total_steps"), std::string("completed 200"));

        // Asked for, it starts over: the history is the new run's alone.
        auto restarted = cli({"resume", id, "--db", db, "--restart", "--set", "train.steps=300",
                              "--set", "train.seed=7"});
        QVERIFY2(restarted.code == 0, qPrintable(restarted.err));
        QCOMPARE(points(c, id.toLongLong(), "loss/g"), 300LL);
        QVERIFY(c.text("SELECT value FROM metrics WHERE step = 1 LIMIT 1") != first_loss);
        QCOMPARE(row(db, id, "status || ' ' || steps_done"), std::string("completed 300"));
    }

    // Issue 20, item 4: a resume that failed (every checkpoint unreadable) left the completed
    // run "failed", with the new step target.
    void failedResumeLeavesTheRunAsItWas() {
        const QString db = m_dir.filePath("unreadable.sqlite");
        const QString id = train(db, 200);
        QVERIFY(!id.isEmpty());
        QDirIterator it(db + ".d/run-" + id, {"ckpt-*.pt"}, QDir::Files);
        int damaged = 0;
        while (it.hasNext()) {
            QFile f(it.next());
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write("not a checkpoint");
            ++damaged;
        }
        QVERIFY(damaged > 0);
        const std::string before = row(db, id, "status || ' ' || total_steps || ' ' || ended_at");
        auto r = cli({"resume", id, "--db", db, "--set", "train.steps=300"});
        QVERIFY2(r.code == 1, qPrintable(r.err));
        QVERIFY2(r.err.contains("no usable checkpoint"), qPrintable(r.err));
        QVERIFY2(r.err.contains("left as it was (completed at step 200"), qPrintable(r.err));
        QCOMPARE(row(db, id, "status || ' ' || total_steps || ' ' || ended_at"), before);
        QCOMPARE(row(db, id, "json_extract(config_json, '$.train.steps')"), std::string("200"));
        QCOMPARE(row(db, id, "error"), std::string());
    }

    // Issue 20, item 5: two `resume N` started together both trained the run, interleaving
    // their writes to its rows and checkpoint files.
    void twoResumesAtOnceTrainItOnce() {
        const QString db = m_dir.filePath("twice.sqlite");
        const QString id = train(db, 200);
        QVERIFY(!id.isEmpty());
        const QStringList args{"resume", id, "--db", db, "--set", "train.steps=5000"};
        QProcess a, b;
        a.start(WB_CLI_PATH, args);
        b.start(WB_CLI_PATH, args);
        QVERIFY(a.waitForFinished(240000) && b.waitForFinished(240000));
        const QString err_a = QString::fromUtf8(a.readAllStandardError());
        const QString err_b = QString::fromUtf8(b.readAllStandardError());
        const int code_a = a.exitCode(), code_b = b.exitCode();
        QVERIFY2(std::min(code_a, code_b) == 0 && std::max(code_a, code_b) == 4,
                 qPrintable(QString("exit %1 and %2: ").arg(code_a).arg(code_b) + err_a +
                            "\n---\n" + err_b));
        const QString& loser = code_a == 4 ? err_a : err_b;
        QVERIFY2(loser.contains("another process") || loser.contains("was just taken by"),
                 qPrintable(loser));
        QCOMPARE(row(db, id, "status || ' ' || steps_done"), std::string("completed 5000"));
    }

    // Issue 20, item 3: data.path=/dev/zero read until the kernel killed the process at 24 GB,
    // and a FIFO without a writer hung even past Ctrl-C. Both are refused before a row exists.
    void dataPathThatIsNoRegularFileIsRefused() {
        const QString db = m_dir.filePath("devices.sqlite");
        const QString fifo = m_dir.filePath("corpus.fifo");
        QCOMPARE(::mkfifo(fifo.toLocal8Bit().constData(), 0600), 0);
        for (const QString& data : {QString("/dev/zero"), fifo}) {
            auto r = cli({"run", "--preset", "gpt-char", "--db", db, "--set", "data.path=" + data},
                         60000);
            QVERIFY2(r.code == 3, qPrintable(QString("exit %1: %2").arg(r.code).arg(r.err)));
            QVERIFY2(r.err.contains(data + " is a ") && r.err.contains("not a regular file"),
                     qPrintable(r.err));
        }
        QCOMPARE(OtherConnection(db).count("SELECT COUNT(*) FROM runs"), 0LL);
        auto fid = cli({"fid", fifo, "/dev/zero"}, 60000);
        QVERIFY2(fid.code == 3, qPrintable(fid.err));
        QVERIFY2(fid.err.contains("FIFO"), qPrintable(fid.err));
    }

    // Issue 20, item 7: on a full disk `runs`, `show` and `metrics` failed, because opening the
    // database wrote to it. Reading commands now never write: not even to mark a dead
    // process's run interrupted (it reads as interrupted).
    void readingCommandsNeverWrite() {
        const QString db = m_dir.filePath("readonly.sqlite");
        const QString id = train(db, 50);
        QVERIFY(!id.isEmpty());
        {
            OtherConnection c(db);
            QVERIFY(c.exec("UPDATE runs SET status = 'running', owner_pid = 2147483646"));
        }
        const QByteArray before = read_all(db);
        for (const QStringList& args : {QStringList{"runs", "--json", "--db", db},
                                        QStringList{"show", id, "--json", "--db", db},
                                        QStringList{"metrics", id, "--db", db}}) {
            auto r = cli(args, 60000, 1);  // not one byte may be written to any file
            QVERIFY2(r.code == 0, qPrintable(args.join(' ') + ": " + r.err));
            if (args[0] == "runs")
                QCOMPARE(json::parse(r.out.toStdString())[0]["status"].get<std::string>(),
                         std::string("interrupted"));
        }
        QCOMPARE(row(db, id, "status"), std::string("running"));
        QVERIFY(read_all(db) == before);

        // A mistyped --db is an error, not a new empty history.
        const QString typo = m_dir.filePath("no-such-folder/runs.sqlite");
        auto r = cli({"runs", "--db", typo});
        QVERIFY2(r.code == 1 && r.err.contains("no such database"), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(m_dir.filePath("no-such-folder")));
    }

    // Issue 20, item 9: a foreign SQLite file was adopted (tables added, journal set to WAL).
    void foreignSqliteFileIsRefused() {
        const QString db = m_dir.filePath("someone-elses.sqlite");
        {
            OtherConnection c(db);
            QVERIFY(c.exec("CREATE TABLE photos (path TEXT); INSERT INTO photos VALUES ('a')"));
        }
        for (const QStringList& args :
             {QStringList{"runs", "--db", db}, QStringList{"run", "--preset", "gan-mixture2d",
                                                           "--db", db, "--set", "train.steps=5"}}) {
            auto r = cli(args, 60000);
            QVERIFY2(r.code == 1, qPrintable(r.err));
            QVERIFY2(r.err.contains("another program (its tables: photos)"), qPrintable(r.err));
        }
        OtherConnection c(db);
        QCOMPARE(c.count("SELECT COUNT(*) FROM sqlite_master"), 1LL);
        QCOMPARE(c.text("PRAGMA journal_mode"), std::string("delete"));
    }

    // Issue 20, items 6 and 9: a name that is not UTF-8 broke `runs --json` for the whole
    // database, and escape sequences in names reached the terminal raw.
    void oddBytesInNamesAreShownSafely() {
        const QString db = m_dir.filePath("names.sqlite");
        const QString id = train(db, 5);
        QVERIFY(!id.isEmpty());
        {
            OtherConnection c(db);
            QVERIFY(c.exec("UPDATE runs SET name = CAST(X'626164FF1B5B33316D726564' AS TEXT)"));
        }
        auto j = cli({"runs", "--json", "--db", db});
        QVERIFY2(j.code == 0, qPrintable(j.err));
        const auto runs = json::parse(j.out.toStdString(), nullptr, false);
        QVERIFY2(!runs.is_discarded(), qPrintable(j.out));
        QCOMPARE(runs[0]["name"].get<std::string>(), std::string("bad\xef\xbf\xbd\x1b[31mred"));
        auto text = cli({"runs", "--db", db});
        QCOMPARE(text.code, 0);
        QVERIFY2(!text.out.contains(QChar(0x1b)), qPrintable(text.out));
        QVERIFY2(text.out.contains("\\x1b[31mred"), qPrintable(text.out));
    }

    // Issue 20, item 6: a number no double can hold ended the CLI with an internal error.
    void outOfRangeNumberIsAConfigError() {
        const QString file = m_dir.filePath("huge.json");
        std::ofstream(file.toStdString()) << R"({"optim": {"lr": 1e999}})";
        auto r = cli({"run", "--config", file, "--db", m_dir.filePath("huge.sqlite")}, 60000);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("huge.json is not valid JSON") && r.err.contains("1e999"),
                 qPrintable(r.err));
    }

    // Issue 20, item 9: every error of a failed run was printed twice.
    void aRunsErrorIsPrintedOnce() {
        const QString file = m_dir.filePath("tiny.txt");
        std::ofstream(file.toStdString()) << "too short\n";
        auto r = cli({"run", "--preset", "gpt-char", "--db", m_dir.filePath("once.sqlite"), "--set",
                      "data.path=" + file},
                     60000);
        QCOMPARE(r.code, 3);
        QCOMPARE(r.err.count("characters of text; a char-level model needs"), 1);
    }
};

QTEST_GUILESS_MAIN(TestCliFaults)
#include "test_cli_faults.moc"
