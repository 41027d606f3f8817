// The up-front memory estimate (engine/api/memory_estimate.h): its parameter counts against the
// engine's real networks for every built-in preset, and the refusal of a run far beyond the
// machine (issue 20: batch 256 x width 2048 x context 2048 passed every range check).
#include "engine/api/memory_estimate.h"
#include "engine/api/presets.h"
#include "engine/models/network.h"
#include "engine/train/trainer.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QtTest>

using namespace wb;

namespace {

api::RunConfig preset(const std::string& name) {
    std::string why;
    const auto p = api::resolve_preset(name, &why);
    if (!p) qFatal("%s", why.c_str());
    return p->config;
}

int64_t count(const models::Network& n) {
    return engine::parameter_count(*n.module);
}

// Every trained network of the preset's model, built by the engine as a run builds them.
int64_t real_parameters(const api::RunConfig& c) {
    const std::string& kind = c.model.kind;
    if (kind == "gan_mlp")
        return count(models::mlp_gan_network(c, "g")) + count(models::mlp_gan_network(c, "d"));
    if (kind == "dcgan")
        return count(models::dcgan_network(c, "g")) + count(models::dcgan_network(c, "d"));
    if (kind == "progan")
        return count(models::progan_network(models::make_progan_generator(c))) +
               count(models::progan_network(models::make_progan_discriminator(c)));
    if (kind == "vae") return count(models::vae_network(models::make_vae(c)));
    return engine::parameter_count(*models::make_gpt(c, models::DataDims{256}));
}

constexpr int64_t kGiB = int64_t{1} << 30;

}  // namespace

class TestMemoryEstimate final : public QObject {
    Q_OBJECT

private slots:
    void parametersMatchTheEnginesNetworks_data() {
        QTest::addColumn<QString>("name");
        for (const char* p : {"gan-mixture2d", "dcgan-fashion", "progan-fashion", "vae-fashion",
                              "gpt-char", "gpt-long-window"})
            QTest::newRow(p) << QString(p);
    }
    void parametersMatchTheEnginesNetworks() {
        QFETCH(QString, name);
        const api::RunConfig c = preset(name.toStdString());
        const int64_t real = real_parameters(c);
        const api::MemoryEstimate e = api::estimate_memory(c);
        QCOMPARE(e.parameters, real);
        QCOMPARE(e.state_bytes, real * 16);  // weight, gradient and Adam's two moments in fp32
    }

    // A grown GPT is estimated at its largest shape.
    void aGrowingGptIsEstimatedAtItsFinalShape() {
        api::RunConfig c = preset("gpt-grow");
        api::RunConfig grown = c;
        grown.grow = {};
        grown.model.layers = 4;
        QCOMPARE(api::estimate_memory(c).parameters, real_parameters(grown));
        QCOMPARE(api::estimate_memory(c).activation_bytes,
                 api::estimate_memory(grown).activation_bytes);
    }

    // Data parallel: each rank a model copy (weights, gradients, moments) and the data set; the
    // global batch's activations are split, not copied.
    void dataParallelRanksEachHoldTheModel() {
        api::RunConfig c = preset("gpt-char");
        const auto one = api::estimate_memory(c);
        c.dist.mode = "data";
        c.dist.world_size = 4;
        const auto four = api::estimate_memory(c);
        QCOMPARE(four.state_bytes, 4 * one.state_bytes);
        QCOMPARE(four.data_bytes, 4 * one.data_bytes);
        QCOMPARE(four.activation_bytes, one.activation_bytes);
    }

    // Activations grow with the batch, and attention with the square of the context.
    void activationsScaleWithBatchAndContext() {
        api::RunConfig c = preset("gpt-char");
        const int64_t a = api::estimate_memory(c).activation_bytes;
        c.train.batch_size *= 2;
        QCOMPARE(api::estimate_memory(c).activation_bytes, 2 * a);
        c.train.batch_size /= 2;
        c.model.context *= 2;
        const int64_t longer = api::estimate_memory(c).activation_bytes;
        QVERIFY(longer > 2 * a && longer < 4 * a);
    }

    void aRunFarBeyondTheMachineIsRefused() {
        api::RunConfig c = preset("gpt-char");
        c.train.batch_size = 256;
        c.model.width = 2048;
        c.model.context = 2048;
        QVERIFY(c.validate().empty());  // every range check passes
        const auto problems = api::memory_problems(c, 24 * kGiB);
        QCOMPARE(problems.size(), std::size_t{1});
        QCOMPARE(problems[0].path, std::string("train.batch_size"));
        const QString m = QString::fromStdString(problems[0].message);
        QVERIFY2(m.contains("more than the 24.0 GiB this machine allows"), qPrintable(m));
        QVERIFY2(m.contains("lower train.batch_size"), qPrintable(m));
        QVERIFY(api::estimate_memory(c).total_bytes() > 100 * kGiB);
        // On a GPU the device's allocator decides; unknown usable memory refuses nothing.
        c.device = "cuda";
        QVERIFY(api::memory_problems(c, 24 * kGiB).empty());
        c.device = "cpu";
        QVERIFY(api::memory_problems(c, 0).empty());
    }

    void everyPresetFitsASmallMachine() {
        for (const auto& p : api::presets())
            QVERIFY2(api::memory_problems(p.config, 4 * kGiB).empty(), p.name.c_str());
        QVERIFY(api::usable_memory_bytes() > 0);
    }
};

QTEST_APPLESS_MAIN(TestMemoryEstimate)
#include "test_memory_estimate.moc"
