// The run queue as a user drives it (issue 18): `queue add` (a sweep), `scheduler`, real
// `queue-worker` processes training gan-mixture2d. Admission within the cores, preemption that
// loses no step, the one-scheduler lock, and a scheduler killed with SIGKILL mid-queue whose
// successor completes every queued run exactly once.
#include <QtTest>

#include <signal.h>

#include <map>

#include <nlohmann/json.hpp>

#include "cli_runner.h"

using nlohmann::json;

class TestCliQueue final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString db(const QString& name) const { return m_dir.filePath(name + ".sqlite"); }

    static json cli_json(const QStringList& args) {
        const auto r = wb::test::run_cli(args);
        if (r.code != 0) qWarning("exit %d: %s", r.code, qPrintable(r.err));
        return json::parse(r.out.toStdString(), nullptr, false);
    }
    static json queue(const QString& db) {
        return cli_json({"--db", db, "queue", "--all", "--json"});
    }
    static json series(const QString& db, int64_t id, const char* name) {
        return cli_json(
            {"--db", db, "metrics", QString::number(id), "--name", name, "--json"})[name];
    }
    static QProcess* start_scheduler(const QString& db, const QStringList& extra) {
        auto* p = new QProcess;
        p->start(WB_CLI_PATH, QStringList{"--db", db, "scheduler", "--interval", "0.2"} << extra);
        p->waitForStarted();
        return p;
    }
    // Polls `queue --json` until `done` holds for it, up to `seconds`.
    template <typename F>
    static bool wait_for(const QString& db, F done, int seconds) {
        for (int i = 0; i < seconds * 5; ++i) {
            if (done(queue(db))) return true;
            QThread::msleep(200);
        }
        return false;
    }

private slots:
    void sweepRunsWithinTheCoresAndSummarises();
    void preemptedRunLosesNoStep();
    void secondSchedulerIsRefusedNamingTheHolder();
    void killedSchedulerLosesNoQueuedRun();
    void slurmScriptStartsTorchrunPerNode();
};

void TestCliQueue::sweepRunsWithinTheCoresAndSummarises() {
    const QString d = db("sweep");
    auto add = wb::test::run_cli({"--db", d, "queue", "add", "--preset", "gan-mixture2d", "--set",
                                  "train.steps=200", "--sweep", "optim.lr=1e-3,3e-3", "--seeds",
                                  "2", "--name", "lrs", "--json"});
    QCOMPARE(add.code, 0);
    const json added = json::parse(add.out.toStdString());
    QCOMPARE(added.size(), size_t(4));
    QCOMPARE(added[3]["name"].get<std::string>(), std::string("lrs lr=3e-3 seed=43"));
    // An impossible reservation is refused before anything is queued.
    auto big = wb::test::run_cli(
        {"--db", d, "queue", "add", "--preset", "gan-mixture2d", "--threads", "1000"});
    QCOMPARE(big.code, 2);
    QVERIFY2(big.err.contains("--threads"), qPrintable(big.err));
    auto sched = wb::test::run_cli(
        {"--db", d, "scheduler", "--until-idle", "--cores", "2", "--interval", "0.1"});
    QCOMPARE(sched.code, 0);
    QVERIFY2(sched.err.contains("the queue is empty"), qPrintable(sched.err));
    const json q = queue(d);
    QCOMPARE(q.size(), size_t(4));
    // Each ran once, completed; at most two at a time (each reserved 1 thread of the 2 cores):
    // at any run's start, fewer than two others were running.
    std::vector<std::pair<double, double>> spans;
    for (const auto& e : q) {
        QCOMPARE(e["state"].get<std::string>(), std::string("done"));
        QCOMPARE(e["status"].get<std::string>(), std::string("completed"));
        QCOMPARE(e["starts"].get<int>(), 1);
        QCOMPARE(e["threads"].get<int>(), 1);
        const json show =
            cli_json({"--db", d, "show", QString::number(e["id"].get<int64_t>()), "--json"});
        spans.push_back({show["started_at"].get<double>(), show["ended_at"].get<double>()});
        QCOMPARE(show["config"]["train"]["threads"].get<int>(), 1);
    }
    for (const auto& [start, end] : spans) {
        int overlapping = 0;
        for (const auto& [s2, e2] : spans)
            if (s2 <= start && start < e2) ++overlapping;  // counts itself
        QVERIFY(overlapping <= 2);
    }
    // The summary's mean and sd are those of the members' last loss/g, by hand.
    const json sum = cli_json({"--db", d, "sweep", "lrs", "--json"});
    QCOMPARE(sum["completed"].get<int>(), 4);
    std::vector<double> last;
    for (const auto& e : q) last.push_back(series(d, e["id"].get<int64_t>(), "loss/g").back()[2]);
    double mean = 0;
    for (double v : last) mean += v / 4;
    double sq = 0;
    for (double v : last) sq += (v - mean) * (v - mean);
    QVERIFY(std::abs(sum["summary"]["loss/g"]["mean"].get<double>() - mean) < 1e-9);
    QVERIFY(std::abs(sum["summary"]["loss/g"]["sd"].get<double>() - std::sqrt(sq / 3)) < 1e-9);
}

void TestCliQueue::preemptedRunLosesNoStep() {
    const QString d = db("preempt");
    const QStringList config = {"--preset", "gan-mixture2d",
                                "--set",    "train.steps=3000",
                                "--set",    "checkpoint.every_steps=500",
                                "--set",    "train.threads=1"};
    // The reference: the same run straight through, one thread.
    auto straight = wb::test::run_cli(QStringList{"--db", d, "run", "--json"} << config);
    QCOMPARE(straight.code, 0);
    const int64_t ref = json::parse(straight.out.toStdString())["id"].get<int64_t>();
    auto low = wb::test::run_cli(QStringList{"--db", d, "queue", "add", "--json", "--name", "low"}
                                 << config);
    QCOMPARE(low.code, 0);
    const int64_t id = json::parse(low.out.toStdString())[0]["id"].get<int64_t>();
    // One core: the higher-priority run fits only once the low one gives way.
    std::unique_ptr<QProcess> sched(start_scheduler(d, {"--cores", "1", "--until-idle"}));
    QVERIFY(wait_for(
        d,
        [&](const json& q) {
            for (const auto& e : q)
                if (e["id"] == id) return e["steps_done"].get<int64_t>() >= 200;
            return false;
        },
        120));
    auto high = wb::test::run_cli({"--db", d, "queue", "add", "--preset", "gan-mixture2d", "--set",
                                   "train.steps=100", "--priority", "5", "--name", "high"});
    QCOMPARE(high.code, 0);
    QVERIFY(sched->waitForFinished(300000));
    const QString log = QString::fromUtf8(sched->readAllStandardError());
    QCOMPARE(sched->exitCode(), 0);
    QVERIFY2(log.contains("preempting run " + QString::number(id)), qPrintable(log));
    const json q = queue(d);
    for (const auto& e : q) QCOMPARE(e["status"].get<std::string>(), std::string("completed"));
    json mine;
    for (const auto& e : q)
        if (e["id"] == id) mine = e;
    QCOMPARE(mine["preemptions"].get<int>(), 1);
    QCOMPARE(mine["starts"].get<int>(), 2);
    // The high run finished before the low one went on: it ended before the low run did.
    // Every step of the preempted run's series equals the straight run's.
    for (const char* name : {"loss/g", "loss/d"}) {
        const json a = series(d, id, name);
        const json b = series(d, ref, name);
        QCOMPARE(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i][0].get<int64_t>(), b[i][0].get<int64_t>());
            QVERIFY2(a[i][2].get<double>() == b[i][2].get<double>(),
                     qPrintable(QString("%1 at step %2: %3 vs %4")
                                    .arg(name)
                                    .arg(a[i][0].get<int64_t>())
                                    .arg(a[i][2].get<double>())
                                    .arg(b[i][2].get<double>())));
        }
    }
}

void TestCliQueue::secondSchedulerIsRefusedNamingTheHolder() {
    const QString d = db("lock");
    std::unique_ptr<QProcess> first(start_scheduler(d, {}));
    // It says so once it holds the lock.
    first->setReadChannel(QProcess::StandardError);
    QByteArray said;
    for (int i = 0; i < 300 && !said.contains("scheduler:"); ++i)
        if (first->waitForReadyRead(100)) said += first->readAllStandardError();
    QVERIFY2(said.contains("scheduler:"), said.constData());
    auto second = wb::test::run_cli({"--db", d, "scheduler", "--until-idle"});
    QCOMPARE(second.code, 4);
    QVERIFY2(second.err.contains("pid " + QString::number(first->processId())),
             qPrintable(second.err));
    ::kill(static_cast<pid_t>(first->processId()), SIGINT);
    QVERIFY(first->waitForFinished(30000));
    said += first->readAllStandardError();
    QVERIFY2(said.contains("stopped"), said.constData());
    // Released: the next one starts.
    auto third = wb::test::run_cli({"--db", d, "scheduler", "--until-idle"});
    QCOMPARE(third.code, 0);
}

void TestCliQueue::killedSchedulerLosesNoQueuedRun() {
    const QString d = db("crash");
    auto add = wb::test::run_cli({"--db", d, "queue", "add", "--preset", "gan-mixture2d", "--set",
                                  "train.steps=4000", "--set", "checkpoint.every_steps=500",
                                  "--seeds", "4", "--name", "crash", "--json"});
    QCOMPARE(add.code, 0);
    std::unique_ptr<QProcess> sched(start_scheduler(d, {"--cores", "2"}));
    QVERIFY(wait_for(
        d,
        [](const json& q) {
            for (const auto& e : q)
                if (e["steps_done"].get<int64_t>() >= 100) return true;
            return false;
        },
        120));
    ::kill(static_cast<pid_t>(sched->processId()), SIGKILL);
    QVERIFY(sched->waitForFinished(10000));
    // Its workers train on; one is killed too, as a crash would.
    json q = queue(d);
    int64_t victim = 0;
    for (const auto& e : q)
        if (e["state"] == "started" && e["worker_pid"].get<int64_t>() > 0)
            victim = e["worker_pid"].get<int64_t>();
    QVERIFY(victim > 0);
    QCOMPARE(::kill(static_cast<pid_t>(victim), SIGKILL), 0);  // it was still training
    auto again = wb::test::run_cli(
        {"--db", d, "scheduler", "--until-idle", "--cores", "2", "--interval", "0.2"}, 400000);
    QCOMPARE(again.code, 0);
    q = queue(d);
    QCOMPARE(q.size(), size_t(4));
    int restarted = 0;
    for (const auto& e : q) {
        QCOMPARE(e["status"].get<std::string>(), std::string("completed"));
        QCOMPARE(e["steps_done"].get<int64_t>(), int64_t(4000));
        restarted += e["starts"].get<int>() - 1;
        // Exactly once: one point per logged step, no step twice, none missing at the end.
        const json s = series(d, e["id"].get<int64_t>(), "loss/g");
        std::map<int64_t, int> seen;
        for (const auto& p : s) ++seen[p[0].get<int64_t>()];
        for (const auto& [step, n] : seen) QCOMPARE(n, 1);
        QCOMPARE(s.back()[0].get<int64_t>(), int64_t(4000));
    }
    QVERIFY(restarted >= 1);  // the killed worker's run was started again
}

// Slurm itself is not started here (slurmctld, slurmd and munge need root and a munge key), so
// the script is checked by its content and by bash's parser.
void TestCliQueue::slurmScriptStartsTorchrunPerNode() {
    const QString script = m_dir.filePath("job.sbatch");
    auto r = wb::test::run_cli({"--db", db("slurm"), "submit", "--slurm", "--preset", "gpt-char",
                                "--nodes", "2", "--gpus-per-node", "4", "--time", "01:30:00",
                                "--partition", "gpu", "--name", "big lm", "--out", script});
    QCOMPARE(r.code, 0);
    QFile f(script);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(f.readAll());
    for (const char* want :
         {"#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=1", "#SBATCH --gpus-per-node=4",
          "#SBATCH --time=01:30:00", "#SBATCH --partition=gpu", "#SBATCH --job-name=big-lm",
          "#SBATCH --signal=TERM@120", "#SBATCH --requeue", "srun --kill-on-bad-exit=1",
          "-m torch.distributed.run", "--nnodes=\"$SLURM_NNODES\"", "--node_rank=\"$SLURM_NODEID\"",
          "--nproc_per_node=4", "--name 'big lm'"})
        QVERIFY2(text.contains(want), want);
    QVERIFY(text.contains("--db '" + QFileInfo(db("slurm")).absoluteFilePath() +
                          "' run --config '" + script + ".config.json'"));
    QVERIFY(QFileInfo(script).isExecutable());
    QProcess bash;
    bash.start("bash", {"-n", script});
    QVERIFY(bash.waitForFinished());
    QCOMPARE(bash.exitCode(), 0);
    // The config it trains: data parallel over the 8 ranks, on the GPUs.
    QFile c(script + ".config.json");
    QVERIFY(c.open(QIODevice::ReadOnly));
    const json config = json::parse(c.readAll().toStdString());
    QCOMPARE(config["dist"]["mode"].get<std::string>(), std::string("data"));
    QCOMPARE(config["dist"]["world_size"].get<int>(), 8);
    // Bad values are refused, naming the option.
    auto bad = wb::test::run_cli({"--db", db("slurm"), "submit", "--slurm", "--preset", "gpt-char",
                                  "--time", "soon", "--out", script});
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains("--time"), qPrintable(bad.err));
}

QTEST_GUILESS_MAIN(TestCliQueue)
#include "test_cli_queue.moc"
