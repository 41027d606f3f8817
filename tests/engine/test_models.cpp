// Every model family trains on its real default data for a few steps on the CPU, reports its
// loss terms and sample kind, and checkpoints; plus the model shapes and loss definitions.
#include "engine/api/fid_extractor_info.h"
#include "engine/api/presets.h"
#include "engine/eval/feature_extractor.h"
#include "engine/models/gan_models.h"
#include "engine/models/gpt.h"
#include "engine/models/vae.h"
#include "engine_test_util.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QtTest>

using namespace wb;

namespace {

// FID during a run is tested with a small extractor in fidDuringARun.
api::RunConfig tiny(const char* preset) {
    return test::tiny_preset(preset, 3, 0);
}

}  // namespace

class TestModels final : public QObject {
    Q_OBJECT

private slots:
    void dcganShapes() {
        models::DcGenerator g(models::DcganOptions(16, 8));
        models::DcDiscriminator d(models::DcganOptions(16, 8));
        auto x = g->forward(torch::randn({3, 16}));
        QCOMPARE(x.sizes().vec(), (std::vector<int64_t>{3, 1, 32, 32}));
        QVERIFY(x.abs().max().item<float>() <= 1.0f);
        QCOMPARE(d->forward(x).sizes().vec(), (std::vector<int64_t>{3}));
    }

    void packedDiscriminatorsJudgeGroups() {
        models::DcDiscriminator d(models::DcganOptions(16, 8).pack(2));
        QCOMPARE(d->forward(torch::randn({6, 1, 32, 32})).sizes().vec(), (std::vector<int64_t>{3}));
        models::MlpDiscriminator m(models::MlpGanOptions(4, 16, 2).pack(4));
        auto pts = torch::randn({8, 2});
        QCOMPARE(m->forward(pts).sizes().vec(), (std::vector<int64_t>{2}));
        // A pack is one sample: swapping points across packs changes the verdicts.
        auto swapped = torch::cat({pts.narrow(0, 4, 4), pts.narrow(0, 0, 4)});
        QVERIFY(torch::allclose(m->forward(swapped).flip(0), m->forward(pts)));
    }

    void vaeLossTermsAreTheElbo() {
        models::Vae vae(models::VaeOptions(4, 8));
        auto x = torch::rand({2, 1, 32, 32}) * 2 - 1;
        auto out = vae->forward(x, torch::zeros({2, 4}));
        QCOMPARE(out.logits.sizes().vec(), (std::vector<int64_t>{2, 1, 32, 32}));
        // With mu = 0 and logvar = 0 the KL term is exactly zero.
        models::VaeOutput zero{out.logits, torch::zeros({2, 4}), torch::zeros({2, 4})};
        QCOMPARE(vae->loss(x, zero).kl.item<double>(), 0.0);
        models::VaeOutput shifted{out.logits, torch::ones({2, 4}), torch::zeros({2, 4})};
        QCOMPARE(vae->loss(x, shifted).kl.item<double>(), 2.0);  // 0.5 * 4 dims * 1^2
        auto recon = vae->loss(x, out).recon.item<double>();
        QVERIFY(recon > 0 && recon < 1024 * 10);
    }

    void gptIsCausal() {
        torch::manual_seed(0);
        models::Gpt gpt(models::GptOptions(11, 16, 16, 2, 2));
        gpt->eval();
        auto ids = torch::randint(0, 11, {1, 10});
        auto changed = ids.clone();
        changed[0][9] = (ids[0][9].item<int64_t>() + 1) % 11;
        auto a = gpt->forward(ids), b = gpt->forward(changed);
        QCOMPARE(a.sizes().vec(), (std::vector<int64_t>{1, 10, 11}));
        // Changing the last token must not change any earlier position's prediction.
        QVERIFY(torch::allclose(a.narrow(1, 0, 9), b.narrow(1, 0, 9)));
        QVERIFY(!torch::allclose(a.narrow(1, 9, 1), b.narrow(1, 9, 1)));
        // An untrained model predicts close to uniformly: loss near log(vocab).
        const double loss = gpt->loss(a, ids).item<double>();
        QVERIFY(std::abs(loss - std::log(11.0)) < 0.3);
    }

    void gptDropoutDrawsFromTheRunsGenerator() {
        // Dropout masks follow the generator the model is handed, and LibTorch's global one is
        // left alone, so two runs training at once cannot change each other's masks.
        models::Gpt gpt(models::GptOptions(11, 8, 16, 1, 2).dropout(0.5));
        gpt->train();
        auto ids = torch::randint(11, {4, 8});
        auto forward = [&](uint64_t seed) {
            gpt->set_dropout_generator(at::make_generator<at::CPUGeneratorImpl>(seed));
            return gpt->forward(ids);
        };
        at::Generator global = at::detail::getDefaultCPUGenerator();
        const auto before = global.get_state();
        auto a = forward(3), b = forward(3), c = forward(4);
        QVERIFY(torch::equal(a, b));
        QVERIFY(!torch::equal(a, c));
        QVERIFY(torch::equal(global.get_state(), before));
        gpt->eval();
        QVERIFY(torch::equal(gpt->forward(ids), gpt->forward(ids)));
    }

    void eachPresetTrainsOnItsRealData_data() {
        QTest::addColumn<QString>("preset");
        QTest::addColumn<QStringList>("metrics");
        QTest::addColumn<QString>("sample");
        QTest::newRow("dcgan") << "dcgan-fashion" << QStringList{"loss/g", "loss/d"}
                               << api::kSamplePng;
        QTest::newRow("progan") << "progan-fashion"
                                << QStringList{"loss/g", "loss/d", "loss/gp",
                                               "progressive/resolution"}
                                << api::kSamplePng;
        QTest::newRow("vae") << "vae-fashion" << QStringList{"loss/recon", "loss/kl", "loss/val"}
                             << api::kSamplePng;
        QTest::newRow("gpt") << "gpt-char"
                             << QStringList{"loss/train", "loss/val", "throughput/tokens_per_s"}
                             << api::kSampleText;
    }

    void eachPresetTrainsOnItsRealData() {
        QFETCH(QString, preset);
        QFETCH(QStringList, metrics);
        QFETCH(QString, sample);
        QTemporaryDir dir;
        auto c = tiny(preset.toUtf8().constData());
        if (c.model.kind == "gpt") c.model.width = 32, c.model.layers = 1, c.model.context = 32;
        const auto r = test::run_to_end(c, dir.filePath("ck").toStdString());
        QVERIFY2(r.final_status == api::RunStatus::Completed, r.message.c_str());
        for (const auto& m : metrics) {
            const auto s = r.series(m.toStdString());
            QVERIFY2(!s.empty(), qPrintable(m));
            QVERIFY2(std::isfinite(s.back()), qPrintable(m));
        }
        QCOMPARE(r.count(api::EventKind::Sample, sample.toStdString()), 1);  // the final sample
        for (const auto& e : r.events)
            if (e.kind == api::EventKind::Sample && e.name == api::kSamplePng)
                QVERIFY(e.payload.compare(1, 3, "PNG") == 0);
        QCOMPARE(r.count(api::EventKind::Checkpoint), 1);
    }

    void fidDuringARun() {
        // An extractor trained for a few steps, its record saying "canonical", stands in for the
        // real one (plumbing only): the run reports quality/fid and quality/kid, names the
        // extractor in its log and records its identity for the run's environment.
        QTemporaryDir dir;
        const std::string path = dir.filePath("x.wbfx").toStdString();
        auto data = engine::data::load_fashion_mnist("");
        data.train.images = data.train.images.narrow(0, 0, 64);
        data.train.labels = data.train.labels.narrow(0, 0, 64);
        engine::eval::ExtractorTraining t;
        t.max_steps = 2;
        t.batch_size = 32;
        auto e = engine::eval::train_extractor(data, t);
        e.trained_on.data_crc32 = engine::eval::kFashionMnistTrainCrc;
        e.trained_on.train_images = engine::eval::kFashionMnistTrainImages;
        e.test_accuracy = 0.9;
        engine::eval::save_extractor(e, path);
        auto c = tiny("progan-fashion");
        c.model.width = 4;
        c.eval.fid = true;
        c.eval.extractor = path;
        c.eval.every_steps = 2;
        c.train.steps = 4;
        const auto r = test::run_to_end(c, dir.filePath("ck").toStdString());
        QVERIFY2(r.final_status == api::RunStatus::Completed, r.message.c_str());
        const auto fid = r.by_step("quality/fid");
        QCOMPARE(fid.size(), std::size_t{2});
        QVERIFY(fid.at(2) > 0 && std::isfinite(fid.at(4)));
        QCOMPARE(r.series("quality/kid").size(), std::size_t{2});
        bool named = false;
        for (const auto& ev : r.events)
            named = named || (ev.kind == api::EventKind::Log &&
                              ev.payload.find(e.checksum) != std::string::npos);
        QVERIFY(named);
        int identities = 0;
        for (const auto& ev : r.events)
            if (ev.kind == api::EventKind::Attribute && ev.name == "fid_extractor") {
                ++identities;
                const auto info = api::fid_extractor_of(R"({"fid_extractor":)" + ev.payload + "}");
                QVERIFY(info && info->checksum == e.checksum && info->canonical);
            }
        QCOMPARE(identities, 1);
    }
};

QTEST_GUILESS_MAIN(TestModels)
#include "test_models.moc"
