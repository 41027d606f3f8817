// `workbench-cli quantize` as a user runs it: a small GPT trained for a few seconds, quantized to
// int8, its JSON figures, the written model, and the refusal of a run it cannot quantize.
#include <QtTest>

#include <nlohmann/json.hpp>

#include "cli_runner.h"

using nlohmann::json;

class TestCliQuantize final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString db() const { return m_dir.filePath("runs.sqlite"); }

    QString train(const QStringList& extra) {
        QStringList args = {"run", "--db", db(), "--json"};
        args << extra;
        auto r = wb::test::run_cli(args);
        if (r.code != 0) qWarning("%s", qPrintable(r.err));
        if (r.code != 0) return {};
        return QString::number(json::parse(r.out.toStdString())["id"].get<int64_t>());
    }

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        qputenv("XDG_CONFIG_HOME", m_dir.filePath("config").toUtf8());
    }

    void gptRunIsQuantizedWithItsFigures() {
        const QString id = train(
            {"--preset", "gpt-char", "--set", "model.width=128", "--set", "model.layers=2", "--set",
             "model.context=32", "--set", "train.steps=80", "--set", "train.batch_size=16", "--set",
             "train.threads=1", "--set", "eval.every_steps=80", "--set", "sample.every_steps=0"});
        QVERIFY(!id.isEmpty());
        const QString out = m_dir.filePath("gpt.int8");
        auto r = wb::test::run_cli({"quantize", id, "--db", db(), "--json", "--threads", "1",
                                    "--repeats", "3", "--out", out});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const auto j = json::parse(r.out.toStdString());
        for (const char* key : {"fp32_size_bytes", "int8_size_bytes", "fp32_infer_ms",
                                "int8_infer_ms", "fp32_quality", "int8_quality"})
            QVERIFY2(j.contains(key) && j[key].is_number(), key);
        const auto fp32_bytes = j["fp32_size_bytes"].get<double>();
        const auto int8_bytes = j["int8_size_bytes"].get<double>();
        QVERIFY2(int8_bytes * 3 < fp32_bytes, qPrintable(QString::fromStdString(j.dump())));
        QCOMPARE(static_cast<double>(QFileInfo(out).size()), int8_bytes);
        QVERIFY(j["fp32_infer_ms"].get<double>() > 0 && j["int8_infer_ms"].get<double>() > 0);
        const double fp32 = j["fp32_quality"].get<double>();
        const double int8 = j["int8_quality"].get<double>();
        QVERIFY2(std::isfinite(fp32) && fp32 > 0 && fp32 < 4.0, qPrintable(QString::number(fp32)));
        QVERIFY2(std::abs(int8 - fp32) < 0.03 * fp32,
                 qPrintable(QString("fp32 %1, int8 %2").arg(fp32).arg(int8)));
        QCOMPARE(j["backend"].get<std::string>(), std::string("onednn"));

        auto text =
            wb::test::run_cli({"quantize", id, "--db", db(), "--threads", "1", "--repeats", "1"});
        QVERIFY2(text.code == 0, qPrintable(text.err));
        QVERIFY2(text.out.contains("loss/val") && text.out.contains("size (bytes)"),
                 qPrintable(text.out));
    }

    // Channel pruning removes whole attention heads, so the blocks' inner width is below the
    // model width; the int8 model is built from the compacted network export writes.
    void channelPrunedGptIsQuantized() {
        const QString id = train({"--preset", "gpt-char",
                                  "--set",    "model.width=64",
                                  "--set",    "model.layers=2",
                                  "--set",    "model.context=32",
                                  "--set",    "train.steps=40",
                                  "--set",    "train.batch_size=16",
                                  "--set",    "train.threads=1",
                                  "--set",    "eval.every_steps=40",
                                  "--set",    "sample.every_steps=0",
                                  "--set",    "prune.method=channel",
                                  "--set",    "prune.at_step=20",
                                  "--set",    "prune.target=0.5"});
        QVERIFY(!id.isEmpty());
        auto r = wb::test::run_cli(
            {"quantize", id, "--db", db(), "--json", "--threads", "1", "--repeats", "1"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const auto j = json::parse(r.out.toStdString());
        const double fp32 = j["fp32_quality"].get<double>();
        QVERIFY2(std::abs(j["int8_quality"].get<double>() - fp32) < 0.03 * fp32,
                 qPrintable(QString::fromStdString(j.dump())));
    }

    void otherModelsAreRefusedWithTheReason() {
        const QString id = train(
            {"--preset", "gan-mixture2d", "--set", "train.steps=5", "--set", "eval.every_steps=5"});
        QVERIFY(!id.isEmpty());
        auto r = wb::test::run_cli({"quantize", id, "--db", db()});
        QVERIFY2(r.code == 2, qPrintable(QString("exit %1: %2").arg(r.code).arg(r.err)));
        QVERIFY2(r.err.contains("model.kind is 'gan_mlp'") && r.err.contains("model.kind 'gpt'"),
                 qPrintable(r.err));
        auto missing = wb::test::run_cli({"quantize", "999", "--db", db()});
        QCOMPARE(missing.code, 1);
        QVERIFY2(missing.err.contains("no run 999"), qPrintable(missing.err));
    }
};

QTEST_GUILESS_MAIN(TestCliQuantize)
#include "test_cli_quantize.moc"
