// Every metric a real run reports is in the metric catalog (engine/api/metric_catalog.h), for
// each model family and with the optional features that add metrics of their own.
#include <set>

#include "engine/api/metric_catalog.h"
#include "engine_test_util.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QtTest>

using namespace wb;

class TestMetricNames final : public QObject {
    Q_OBJECT

private slots:
    void everyReportedMetricIsCatalogued_data() {
        QTest::addColumn<QString>("preset");
        QTest::addColumn<QStringList>("sets");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("gan_mlp, pruned, clipped")
            << "gan-mixture2d"
            << QStringList{"prune.method=magnitude", "prune.at_step=2", "optim.grad_clip=1"}
            << QStringList{"loss/g",       "gan/d_real",  "quality/modes_covered",
                           "prune/params", "grad/norm_g", "time/step_ms"};
        QTest::newRow("dcgan, hinge, hard sampler")
            << "dcgan-fashion" << QStringList{"gan.loss=hinge", "sampler.kind=hard"}
            << QStringList{"gan/d_real_score", "sampler/mean_difficulty", "memory/peak_bytes"};
        QTest::newRow("progan") << "progan-fashion" << QStringList{}
                                << QStringList{"loss/gp", "progressive/alpha"};
        QTest::newRow("vae, curriculum") << "vae-fashion" << QStringList{"sampler.kind=curriculum"}
                                         << QStringList{"loss/kl", "loss/val_recon", "grad/norm"};
        QTest::newRow("gpt") << "gpt-char" << QStringList{}
                             << QStringList{"loss/val", "throughput/tokens_per_s", "lr"};
    }

    void everyReportedMetricIsCatalogued() {
        QFETCH(QString, preset);
        QFETCH(QStringList, sets);
        QFETCH(QStringList, expected);
        // Without FID: quality/fid and kid need the trained extractor; their source is scanned.
        api::RunConfig c = test::tiny_preset(preset.toUtf8().constData(), 4, 4);
        std::vector<api::ConfigError> errors;
        for (const QString& s : sets)
            c.set(s.section('=', 0, 0).toStdString(), s.section('=', 1).toStdString(), &errors);
        auto problems = c.validate();
        errors.insert(errors.end(), problems.begin(), problems.end());
        QVERIFY2(errors.empty(), api::format_errors(errors).c_str());

        QTemporaryDir dir;
        const auto run = test::run_to_end(c, dir.filePath("run").toStdString());
        QVERIFY2(run.final_status == api::RunStatus::Completed, run.message.c_str());
        std::set<std::string> names;
        for (const auto& e : run.events)
            if (e.kind == api::EventKind::Metric) names.insert(e.name);
        for (const QString& e : expected)
            QVERIFY2(names.count(e.toStdString()), qPrintable(e + " was not reported"));
        for (const auto& name : names)
            QVERIFY2(
                api::find_metric(name, c.model.kind),
                (name + " (" + c.model.kind + ") is not in engine/api/metric_catalog.cpp").c_str());
    }
};

QTEST_GUILESS_MAIN(TestMetricNames)
#include "test_metric_names.moc"
