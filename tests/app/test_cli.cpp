// workbench-cli as a user runs it: exit codes, JSON output, the run history it leaves, and
// recovery after SIGKILL and Ctrl-C.
#include <QtTest>

#include <csignal>
#include <fstream>

#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "storage/run_store.h"

using nlohmann::json;

namespace {

using Result = wb::test::CliResult;

Result cli(const QStringList& args, int timeout_ms = 240000) {
    return wb::test::run_cli(args, timeout_ms);
}

std::string integrity(const QString& db) {
    sqlite3* h = nullptr;
    sqlite3_open_v2(db.toUtf8().constData(), &h, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, nullptr);
    std::string result = sqlite3_step(st) == SQLITE_ROW
                             ? reinterpret_cast<const char*>(sqlite3_column_text(st, 0))
                             : "no answer";
    sqlite3_finalize(st);
    sqlite3_close(h);
    return result;
}

// Runs `sql` on `db` through a connection of its own, as another program would.
void tamper(const QString& db, const char* sql) {
    sqlite3* h = nullptr;
    sqlite3_open_v2(db.toUtf8().constData(), &h, SQLITE_OPEN_READWRITE, nullptr);
    sqlite3_exec(h, sql, nullptr, nullptr, nullptr);
    sqlite3_close(h);
}

// Exit code 1 with a message, not a signal: an abort shows up as code -1 (a crash exit).
void expect_clear_failure(const Result& r, const QStringList& words) {
    QVERIFY2(r.code == 1, qPrintable(QString("exit %1: %2").arg(r.code).arg(r.err)));
    QVERIFY2(!r.err.contains("terminate called"), qPrintable(r.err));
    for (const auto& w : words) QVERIFY2(r.err.contains(w), qPrintable(w + " not in: " + r.err));
}

// Waits until the run in `db` has recorded at least `steps` steps.
bool wait_for_steps(const QString& db, int64_t steps, int timeout_ms) {
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeout_ms) {
        QTest::qWait(200);
        try {
            wb::storage::RunStore store(db.toStdString());
            auto runs = store.list_runs();
            if (!runs.empty() && runs[0].steps_done >= steps) return true;
        } catch (const std::exception&) {
        }
    }
    return false;
}

}  // namespace

class TestCli final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString db() const { return m_dir.filePath("runs.sqlite"); }

    QString writeFile(const QString& path, const json& j) const {
        QDir().mkpath(QFileInfo(path).absolutePath());
        std::ofstream(path.toStdString()) << j.dump(2);
        return path;
    }

private slots:
    void initTestCase() {
        // Users' presets come from XDG_CONFIG_HOME; the CLI runs here must never read or write
        // the real one.
        QVERIFY(m_dir.isValid());
        qputenv("XDG_CONFIG_HOME", m_dir.filePath("config").toUtf8());
    }

    void presetsListsTheBuiltIns() {
        auto r = cli({"presets", "--json"});
        QCOMPARE(r.code, 0);
        auto a = json::parse(r.out.toStdString());
        QStringList names;
        for (const auto& p : a) names << QString::fromStdString(p["name"].get<std::string>());
        for (const char* n : {"gan-mixture2d", "dcgan-fashion", "vae-fashion", "gpt-char"})
            QVERIFY2(names.contains(n), n);
    }

    void presetFileTrainsAndShowNamesUnits() {
        const QString file =
            writeFile(m_dir.filePath("my-ring.json"),
                      {{"name", "my-ring"},
                       {"description", "a tiny ring"},
                       {"overlay",
                        {{"model", {{"kind", "gan_mlp"}, {"width", 32}}},
                         {"data", {{"name", "mixture2d"}, {"modes", 6}}},
                         {"train", {{"steps", 25}, {"batch_size", 64}, {"threads", 1}}},
                         {"eval", {{"every_steps", 25}, {"samples", 256}}}}}});
        auto r = cli({"run", "--preset", file, "--db", db(), "--json"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        auto j = json::parse(r.out.toStdString());
        QCOMPARE(j["name"].get<std::string>(), std::string("my-ring"));
        QCOMPARE(j["steps"].get<int64_t>(), int64_t{25});
        const auto id = QString::number(j["id"].get<int64_t>());
        auto show = json::parse(cli({"show", id, "--db", db(), "--json"}).out.toStdString());
        QCOMPARE(show["config"]["data"]["modes"].get<int64_t>(), int64_t{6});
        QCOMPARE(show["config"]["model"]["width"].get<int64_t>(), int64_t{32});

        // The text summary reads units and directions from the metric catalog.
        const auto text = cli({"show", id, "--db", db()});
        QCOMPARE(text.code, 0);
        const QStringList lines = text.out.split('\n');
        const auto line = [&lines](const QString& metric) {
            for (const QString& l : lines)
                if (l.trimmed().startsWith(metric + ' ')) return l;
            return QString();
        };
        QVERIFY2(line("throughput/samples_per_s").contains("samples/s"), qPrintable(text.out));
        QVERIFY(line("throughput/samples_per_s").contains("higher is better"));
        QVERIFY(line("memory/peak_bytes").contains("bytes"));
        QVERIFY(line("time/step_ms").contains("ms"));
        QVERIFY(line("time/step_ms").contains("lower is better"));
        QVERIFY(line("loss/g").contains("no better direction"));
        QVERIFY(line("quality/modes_covered").contains("higher is better"));
    }

    void savedPresetIsListedAndTrainsByName() {
        writeFile(m_dir.filePath("config/genai-workbench/presets/mine.json"),
                  {{"name", "tiny-mine"},
                   {"description", "saved earlier"},
                   {"overlay",
                    {{"model", {{"kind", "gan_mlp"}, {"width", 16}}},
                     {"train", {{"steps", 5}, {"batch_size", 32}, {"threads", 1}}},
                     {"eval", {{"every_steps", 0}}}}}});
        auto list = json::parse(cli({"presets", "--json"}).out.toStdString());
        bool listed = false;
        for (const auto& p : list)
            listed = listed || (p["name"] == "tiny-mine" && p.contains("path") &&
                                p["config"]["model"]["width"] == 16);
        QVERIFY(listed);
        auto r = cli({"run", "--preset", "tiny-mine", "--db", db(), "--json"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(json::parse(r.out.toStdString())["steps"].get<int64_t>(), int64_t{5});
    }

    void badPresetFileExits2NamingTheProblem() {
        auto missing = cli({"run", "--preset", m_dir.filePath("nope.json"), "--db", db()});
        QCOMPARE(missing.code, 2);
        QVERIFY2(missing.err.contains("nope.json: no such file"), qPrintable(missing.err));
        const QString bad = writeFile(m_dir.filePath("bad.json"),
                                      {{"name", "bad"}, {"overlay", {{"train", {{"steps", 0}}}}}});
        auto invalid = cli({"run", "--preset", bad, "--db", db()});
        QCOMPARE(invalid.code, 2);
        QVERIFY2(invalid.err.contains("bad.json: invalid overlay"), qPrintable(invalid.err));
        QVERIFY(invalid.err.contains("train.steps: 0 is out of range"));
        auto unknown = cli({"run", "--preset", "no-such-preset", "--db", db()});
        QCOMPARE(unknown.code, 2);
        QVERIFY2(unknown.err.contains("no preset 'no-such-preset'"), qPrintable(unknown.err));
        QVERIFY(unknown.err.contains("gan-mixture2d"));
    }

    void schemaJsonHasEveryField() {
        auto r = cli({"schema", "--json"});
        QCOMPARE(r.code, 0);
        auto j = json::parse(r.out.toStdString());
        QVERIFY(j["fields"].size() > 20);
    }

    void invalidConfigListsEveryProblemAndExits2() {
        auto r = cli({"run", "--preset", "gan-mixture2d", "--db", db(), "--set", "train.steps=0",
                      "--set", "optim.lr=-1", "--set", "model.kind=vae"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("train.steps: 0 is out of range"), qPrintable(r.err));
        QVERIFY(r.err.contains("optim.lr: -1 is out of range"));
        QVERIFY(r.err.contains("data.name: 'mixture2d' does not fit model.kind 'vae'"));
        auto bad_key =
            cli({"run", "--preset", "gan-mixture2d", "--db", db(), "--set", "train.stepz=5"});
        QCOMPARE(bad_key.code, 2);
        QVERIFY(bad_key.err.contains("train.stepz: unknown key"));
    }

    void missingDataExits3AndNamesThePath() {
        const auto before = json::parse(cli({"runs", "--json", "--db", db()}).out.toStdString());
        auto r = cli({"run", "--preset", "dcgan-fashion", "--db", db(), "--set",
                      "data.path=/nonexistent/images"});
        QCOMPARE(r.code, 3);
        QVERIFY2(r.err.contains("/nonexistent/images: no such folder"), qPrintable(r.err));
        // Checked before the run is created: a typo leaves no failed row behind.
        auto runs = json::parse(cli({"runs", "--json", "--db", db()}).out.toStdString());
        QCOMPARE(runs.size(), before.size());
    }

    void fidNamesAMissingSetAndExits3() {
        auto r = cli({"fid", "/nonexistent/a", "/nonexistent/b"});
        QCOMPARE(r.code, 3);
        QVERIFY2(r.err.contains("/nonexistent/a: not found"), qPrintable(r.err));
    }

    void shortRunPrintsJsonAndIsRecorded() {
        auto r = cli({"run", "--preset", "gan-mixture2d", "--db", db(), "--name", "quick", "--json",
                      "--set", "train.steps=60", "--set", "eval.every_steps=30"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        auto j = json::parse(r.out.toStdString());
        QCOMPARE(j["status"].get<std::string>(), std::string("completed"));
        QCOMPARE(j["steps"].get<int64_t>(), int64_t{60});
        QVERIFY(j["wall_s"].get<double>() > 0);
        QVERIFY(j["metrics"].contains("quality/modes_covered"));
        QVERIFY(j["metrics"].contains("loss/g"));
        const auto id = QString::number(j["id"].get<int64_t>());

        auto csv = cli({"metrics", id, "--db", db(), "--name", "loss/g"});
        QCOMPARE(csv.code, 0);
        const auto lines = csv.out.trimmed().split('\n');
        QCOMPARE(lines[0], QString("step,wall_s,name,value"));
        QCOMPARE(lines.size(), 61);
        QVERIFY(lines[1].startsWith("1,"));

        auto show = json::parse(cli({"show", id, "--db", db(), "--json"}).out.toStdString());
        QCOMPARE(show["name"].get<std::string>(), std::string("quick"));
        QCOMPARE(show["config"]["train"]["steps"].get<int64_t>(), int64_t{60});
        QVERIFY(show["environment"].contains("libtorch"));
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
        // (Under ASan its allocator replaces glibc's, mallopt does nothing and the flag is
        // rightly false.) workbench-cli tunes malloc before its first thread; a thread started
        // earlier (the Recorder's, say) would silently leave training on a slower arena of its own.
        QVERIFY(show["environment"]["malloc_tuned"].get<bool>());
#endif

        const QString out = m_dir.filePath("export");
        QCOMPARE(cli({"export", id, "--db", db(), "--out", out}).code, 0);
        for (const char* f : {"config.json", "run.json", "metrics.csv", "log.txt"})
            QVERIFY2(QFile::exists(out + "/" + f), f);
        QVERIFY(!QDir(out + "/samples").entryList(QDir::Files).isEmpty());
    }

    // Issue 23: a real run's energy, cost and carbon, with the source that measured or estimated
    // them, in `show` (text and JSON), `runs --json` and the run's own summary line.
    void energyIsShownWithItsSource() {
        auto r = cli({"run", "--preset", "gan-mixture2d", "--db", db(), "--json", "--set",
                      "train.steps=30", "--set", "energy.price_kwh=2", "--set",
                      "energy.carbon_g_per_kwh=100"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains(" J ("),
                 qPrintable(r.err));  // "after 1.2 s, 41 J (estimated: ...)"
        const auto id = QString::number(json::parse(r.out.toStdString())["id"].get<int64_t>());
        auto show = json::parse(cli({"show", id, "--db", db(), "--json"}).out.toStdString());
        const auto& energy = show["energy"];
        QVERIFY(energy["joules"].get<double>() > 0);
        QCOMPARE(energy["cost"].get<double>(), energy["kwh"].get<double>() * 2);
        QCOMPARE(energy["carbon_g"].get<double>(), energy["kwh"].get<double>() * 100);
        const std::string source = energy["source"].get<std::string>();
        QCOMPARE(show["environment"]["energy"]["label"].get<std::string>(), source);
        const bool estimated = energy["estimated"].get<bool>();
        QCOMPARE(estimated, source.find("estimated") != std::string::npos);

        const auto text = cli({"show", id, "--db", db()}).out;
        QVERIFY2(text.contains("  energy ") && text.contains(QString::fromStdString(source)),
                 qPrintable(text));
        for (const QString& l : text.split('\n'))
            if (l.trimmed().startsWith("energy/joules "))
                QVERIFY2(l.contains(estimated ? "(estimated)" : "(measured)"), qPrintable(l));

        bool listed = false;
        for (const auto& run : json::parse(cli({"runs", "--json", "--db", db()}).out.toStdString()))
            listed = listed || (run["id"] == show["id"] && run["energy"]["source"] == source &&
                                run["energy"]["joules"] == energy["joules"]);
        QVERIFY(listed);
    }

    void exportModelWritesTheCompactedGenerator() {
        auto r = cli({"run", "--preset", "gan-mixture2d", "--db", db(), "--json", "--set",
                      "train.steps=40", "--set", "prune.method=channel", "--set",
                      "prune.at_step=20", "--set", "prune.target=0.5"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const auto id = QString::number(json::parse(r.out.toStdString())["id"].get<int64_t>());
        QCOMPARE(cli({"export", id, "--db", db()}).code, 2);  // neither --out nor --model

        const QString model = m_dir.filePath("g.pt");
        auto e = cli({"export", id, "--db", db(), "--model", model});
        QVERIFY2(e.code == 0, qPrintable(e.err));
        QVERIFY(e.err.contains("pruned channels removed"));
        std::ifstream in((model + ".json").toStdString());
        const auto shapes = json::parse(in)["tensors"];
        // Width 128: net.2 and net.4 lost half of their outputs, net.4 and net.6 those inputs.
        QCOMPARE(shapes["net.0.weight"].get<std::vector<int64_t>>(),
                 (std::vector<int64_t>{128, 8}));
        QCOMPARE(shapes["net.2.weight"].get<std::vector<int64_t>>(),
                 (std::vector<int64_t>{64, 128}));
        QCOMPARE(shapes["net.4.weight"].get<std::vector<int64_t>>(),
                 (std::vector<int64_t>{64, 64}));
        QCOMPARE(shapes["net.6.weight"].get<std::vector<int64_t>>(), (std::vector<int64_t>{2, 64}));
        const auto dense_params = 128 * 8 + 128 + 2 * (128 * 128 + 128) + 2 * 128 + 2;
        const auto params = 128 * 8 + 128 + 64 * 128 + 64 + 64 * 64 + 64 + 2 * 64 + 2;
        QVERIFY(e.err.contains(QString::number(params) + " parameters"));
        QVERIFY(QFileInfo(model).size() < dense_params * 4);
        QVERIFY(QFileInfo(model).size() > params * 4);
    }

    void sigkillLeavesAnIntactDatabaseAndTheRunResumes() {
        const QString kdb = m_dir.filePath("kill.sqlite");
        QProcess p;
        p.start(WB_CLI_PATH,
                {"run", "--preset", "gan-mixture2d", "--db", kdb, "--set", "train.steps=1000000",
                 "--set", "checkpoint.every_steps=50", "--set", "train.threads=1"});
        QVERIFY(p.waitForStarted());
        QVERIFY(wait_for_steps(kdb, 120, 120000));
        QTest::qWait(1500);
        ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
        p.waitForFinished();

        QCOMPARE(integrity(kdb), std::string("ok"));
        wb::storage::RunStore store(kdb.toStdString());
        auto run = store.list_runs().at(0);
        QCOMPARE(run.status, wb::api::RunStatus::Interrupted);
        // Metrics up to about a second before the kill are there (the recorder commits ~5x/s).
        const auto loss = store.metrics(run.id, "loss/g");
        QVERIFY(loss.size() >= 120);
        QVERIFY(run.wall_s > 0);
        const auto ck = store.latest_checkpoint(run.id);
        QVERIFY(ck.has_value());

        // Checkpoint files may be a little ahead of their rows (rows commit in batches), so
        // leave room: the resume continues from the newest readable file on disk.
        const int64_t target = ck->step + 1000;
        auto r = cli({"resume", QString::number(run.id), "--db", kdb, "--json", "--set",
                      QString("train.steps=%1").arg(target)});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        auto j = json::parse(r.out.toStdString());
        QCOMPARE(j["status"].get<std::string>(), std::string("completed"));
        QCOMPARE(j["steps"].get<int64_t>(), target);
        QVERIFY(r.err.contains("resuming run"));
    }

    void ctrlCStopsCleanlyWithACheckpoint() {
        const QString sdb = m_dir.filePath("stop.sqlite");
        QProcess p;
        p.start(WB_CLI_PATH, {"run", "--preset", "gan-mixture2d", "--db", sdb, "--set",
                              "train.steps=1000000", "--set", "checkpoint.every_steps=0"});
        QVERIFY(p.waitForStarted());
        QVERIFY(wait_for_steps(sdb, 20, 120000));
        ::kill(static_cast<pid_t>(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 130);
        wb::storage::RunStore store(sdb.toStdString());
        auto run = store.list_runs().at(0);
        QCOMPARE(run.status, wb::api::RunStatus::Stopped);
        const auto ck = store.latest_checkpoint(run.id);
        QVERIFY(ck.has_value());
        QCOMPARE(ck->step, run.steps_done);
        QVERIFY(QFile::exists(QString::fromStdString(ck->path)));
    }

    void damagedConfigRowEndsWithAMessage() {
        const QString ddb = m_dir.filePath("damaged.sqlite");
        auto r = cli(
            {"run", "--preset", "gan-mixture2d", "--db", ddb, "--json", "--set", "train.steps=10"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const auto id = QString::number(json::parse(r.out.toStdString())["id"].get<int64_t>());
        tamper(ddb, "UPDATE runs SET config_json = '{'");
        auto resumed = cli({"resume", id, "--db", ddb, "--set", "train.steps=20"});
        expect_clear_failure(resumed, {"run " + id, "damaged", "start a new run"});
        // The other commands that read the row report it as well, or show it as it is.
        expect_clear_failure(cli({"export", id, "--db", ddb, "--out", m_dir.filePath("x")}),
                             {"damaged"});
        auto show = cli({"show", id, "--db", ddb, "--json"});
        QCOMPARE(show.code, 0);
        QCOMPARE(json::parse(show.out.toStdString())["config"].get<std::string>(),
                 std::string("{"));
    }

    void lockedDatabaseEndsWithAMessage() {
        const QString ldb = m_dir.filePath("locked.sqlite");
        { wb::storage::RunStore create(ldb.toStdString()); }
        sqlite3* other = nullptr;
        QCOMPARE(sqlite3_open_v2(ldb.toUtf8().constData(), &other, SQLITE_OPEN_READWRITE, nullptr),
                 SQLITE_OK);
        QCOMPARE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
        auto r = cli({"run", "--preset", "gan-mixture2d", "--db", ldb, "--set", "train.steps=10"});
        sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(other);
        expect_clear_failure(r, {ldb, "locked", "try again"});
        QVERIFY(wb::storage::RunStore(ldb.toStdString()).list_runs().empty());
    }

    void unwritableCheckpointFolderEndsWithAMessage() {
        const QString udb = m_dir.filePath("nowhere.sqlite");
        // A file where the checkpoint folders belong: unwritable for root as well.
        QFile blocker(udb + ".d");
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        auto r = cli({"run", "--preset", "gan-mixture2d", "--db", udb, "--set", "train.steps=10"});
        expect_clear_failure(r, {"checkpoints", udb + ".d", "file is in the way"});
        wb::storage::RunStore store(udb.toStdString());
        const auto run = store.list_runs().at(0);
        QCOMPARE(run.status, wb::api::RunStatus::Failed);
        QCOMPARE(run.failure, wb::api::FailureKind::Checkpoint);
    }

    void corruptDatabaseIsReportedNotOverwritten() {
        const QString bad = m_dir.filePath("bad.sqlite");
        {
            QFile f(bad);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(4096, 'x'));
        }
        auto r = cli({"runs", "--db", bad});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(bad), qPrintable(r.err));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray(4096, 'x'));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
