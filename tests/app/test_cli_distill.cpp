// Distillation (distill.*, issue 16) as a user runs it: a small GPT trained for a few seconds
// teaches a smaller one. The student's run records the teacher's loss beside its own; with the
// teacher's weight at 0 it trains exactly the plain student, with 0.5 another model; and every
// teacher that cannot teach (no such run, not a GPT, other characters, too short a context) is
// a config error naming distill.teacher.
#include <QtTest>

#include <nlohmann/json.hpp>

#include "cli_runner.h"

using nlohmann::json;

class TestCliDistill final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_teacher;
    QString db() const { return m_dir.filePath("runs.sqlite"); }

    QString train(const QStringList& extra, wb::test::CliResult* out = nullptr) {
        QStringList args = {"run", "--db", db(), "--json"};
        args << extra;
        auto r = wb::test::run_cli(args);
        if (out) *out = r;
        if (r.code != 0) return {};
        return QString::number(json::parse(r.out.toStdString())["id"].get<int64_t>());
    }

    std::vector<double> series(const QString& id, const char* name) {
        auto r = wb::test::run_cli({"metrics", id, "--db", db(), "--json", "--name", name});
        std::vector<double> v;
        if (r.code != 0) return v;
        const auto j = json::parse(r.out.toStdString());
        if (j.contains(name))
            for (const auto& p : j[name]) v.push_back(p[2].get<double>());
        return v;
    }

    static QStringList gpt(int width, int layers, int context = 32) {
        return {"--preset", "gpt-char",
                "--set",    QString("model.width=%1").arg(width),
                "--set",    QString("model.layers=%1").arg(layers),
                "--set",    QString("model.context=%1").arg(context),
                "--set",    "train.batch_size=16",
                "--set",    "train.threads=1",
                "--set",    "eval.every_steps=0",
                "--set",    "sample.every_steps=0"};
    }
    QStringList student(const QString& teacher, const QString& alpha) const {
        QStringList s = gpt(32, 1);
        s << "--set"
          << "train.steps=20"
          << "--set"
          << "distill.teacher=" + teacher << "--set"
          << "distill.alpha=" + alpha;
        return s;
    }

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        qputenv("XDG_CONFIG_HOME", m_dir.filePath("config").toUtf8());
        QStringList t = gpt(64, 2);
        t << "--set"
          << "train.steps=60";
        wb::test::CliResult r;
        m_teacher = train(t, &r);
        QVERIFY2(!m_teacher.isEmpty(), qPrintable(r.err));
    }

    void theStudentLearnsFromTheTeacher() {
        wb::test::CliResult r;
        const QString id = train(student(m_teacher, "0.5"), &r);
        QVERIFY2(!id.isEmpty(), qPrintable(r.err));
        const auto kd = series(id, "distill/kd_loss"), agree = series(id, "distill/agreement");
        QCOMPARE(kd.size(), size_t(20));
        QCOMPARE(agree.size(), size_t(20));
        for (double v : kd) QVERIFY2(std::isfinite(v) && v > 0, qPrintable(QString::number(v)));
        for (double v : agree) QVERIFY(v >= 0 && v <= 1);
        // Learning to match the teacher brings the student's predictions nearer to its.
        QVERIFY2(kd.back() < kd.front(),
                 qPrintable(QString("kd_loss %1 -> %2").arg(kd.front()).arg(kd.back())));
        const QString log = wb::test::run_cli({"show", id, "--db", db()}).out;
        QVERIFY2(log.contains("distilling from run " + m_teacher), qPrintable(log));
    }

    // alpha 0: the teacher is only measured, so the student trains exactly the plain student
    // (the teacher's pass draws nothing from the run's generators); alpha 0.5 is another model.
    void theTeachersWeightDecidesWhatTheStudentLearns() {
        QStringList plain = gpt(32, 1);
        plain << "--set"
              << "train.steps=20";
        const QString alone = train(plain);
        const QString measured = train(student(m_teacher, "0"));
        const QString taught = train(student(m_teacher, "0.5"));
        QVERIFY(!alone.isEmpty() && !measured.isEmpty() && !taught.isEmpty());
        const auto a = series(alone, "loss/train"), m = series(measured, "loss/train"),
                   t = series(taught, "loss/train");
        QCOMPARE(a.size(), size_t(20));
        QCOMPARE(m.size(), size_t(20));
        QCOMPARE(t.size(), size_t(20));
        double same = 0, differ = 0;
        for (size_t i = 0; i < a.size(); ++i) {
            same = std::max(same, std::abs(m[i] - a[i]) / a[i]);
            differ = std::max(differ, std::abs(t[i] - a[i]) / a[i]);
        }
        QVERIFY2(same < 1e-5, qPrintable(QString("alpha 0 differs by %1").arg(same)));
        QVERIFY2(differ > 1e-3, qPrintable(QString("alpha 0.5 differs by only %1").arg(differ)));
    }

    void aTeacherThatCannotTeachIsAConfigError() {
        wb::test::CliResult r;
        QVERIFY(train(student("999", "0.5"), &r).isEmpty());
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("distill.teacher") && r.err.contains("no run 999"),
                 qPrintable(r.err));

        const QString gan = train({"--preset", "gan-mixture2d", "--set", "train.steps=5", "--set",
                                   "eval.every_steps=0", "--set", "sample.every_steps=0"});
        QVERIFY(!gan.isEmpty());
        QVERIFY(train(student(gan, "0.5"), &r).isEmpty());
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("not a GPT"), qPrintable(r.err));

        QStringList longer = student(m_teacher, "0.5");
        longer << "--set"
               << "model.context=64";
        QVERIFY(train(longer, &r).isEmpty());
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("32 characters at most"), qPrintable(r.err));

        // A teacher trained on other text knows other characters.
        QFile text(m_dir.filePath("abc.txt"));
        QVERIFY(text.open(QIODevice::WriteOnly));
        for (int i = 0; i < 4000; ++i) text.write("abcab cab bca\n");
        text.close();
        QStringList other = gpt(32, 1);
        other << "--set"
              << "train.steps=5"
              << "--set"
              << "data.path=" + text.fileName();
        const QString abc = train(other, &r);
        QVERIFY2(!abc.isEmpty(), qPrintable(r.err));
        QVERIFY(train(student(abc, "0.5"), &r).isEmpty());
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("distill.teacher") && r.err.contains("other characters"),
                 qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestCliDistill)
#include "test_cli_distill.moc"
