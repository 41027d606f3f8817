// Samplers and augmentation inside real runs: every kind on every model family resumes from a
// checkpoint into exactly the run it would have been, reports its metrics, and augmentation is
// reproducible under the seed.
#include <filesystem>
#include <fstream>

#include "engine/api/presets.h"
#include "engine_test_util.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QtTest>

using namespace wb;

namespace {

void quiet(api::RunConfig* c, int64_t steps) {
    c->train.steps = steps;
    c->train.threads = 1;
    c->eval.every_steps = 0;
    c->eval.fid = false;  // FID needs the canonical extractor: test_fid_reference trains it
    c->eval.samples = 64;
    c->sample.every_steps = 0;
    c->checkpoint.every_steps = 0;
}

api::RunConfig tiny(const std::string& model, const std::string& path, int64_t steps) {
    api::RunConfig c;
    if (model == "vae") {
        c = api::find_preset("vae-fashion")->config;
        c.model.width = 4;
        c.model.latent_dim = 4;
        c.train.batch_size = 16;
        c.data.path = path;
    } else if (model == "dcgan") {
        c = api::find_preset("dcgan-fashion")->config;
        c.model.width = 4;
        c.model.latent_dim = 8;
        c.train.batch_size = 16;
        c.gan.pack = 2;
        c.data.path = path;
    } else {
        c = api::find_preset("gpt-char")->config;
        c.data.path = path;
        c.model.width = 16;
        c.model.layers = 1;
        c.model.heads = 2;
        c.model.context = 16;
        c.train.batch_size = 8;
    }
    quiet(&c, steps);
    return c;
}

// A small Fashion-MNIST-shaped folder (plain IDX files): loading the real 60,000 images would
// dominate the test's time. Images are squares of growing size, so the proxy can rank them.
std::string write_images(const QTemporaryDir& dir) {
    const std::string folder = dir.filePath("images").toStdString();
    std::filesystem::create_directories(folder);
    auto be32 = [](std::ofstream& out, uint32_t v) {
        const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
        out.write(b, 4);
    };
    auto write = [&](const std::string& stem, uint32_t n) {
        std::ofstream images(folder + "/" + stem + "-images-idx3-ubyte", std::ios::binary);
        be32(images, 0x803);
        be32(images, n);
        be32(images, 28);
        be32(images, 28);
        std::ofstream labels(folder + "/" + stem + "-labels-idx1-ubyte", std::ios::binary);
        be32(labels, 0x801);
        be32(labels, n);
        for (uint32_t i = 0; i < n; ++i) {
            const uint32_t side = 2 + i % 20;
            for (uint32_t r = 0; r < 28; ++r)
                for (uint32_t c = 0; c < 28; ++c)
                    images.put(static_cast<char>(r < side && c < side ? 40 + 9 * (i % 24) : 0));
            labels.put(static_cast<char>(i % 10));
        }
    };
    write("train", 400);
    write("t10k", 64);
    return folder;
}

// A small corpus with easy (repetitive) and hard (varied) stretches.
std::string write_corpus(const QTemporaryDir& dir) {
    const std::string path = dir.filePath("corpus.txt").toStdString();
    std::ofstream out(path);
    uint32_t x = 12345;
    for (int line = 0; line < 300; ++line) {
        if (line % 3 == 0) {
            out << "the cat sat on the mat and the cat sat on the mat\n";
        } else {
            for (int i = 0; i < 40; ++i) {
                x = x * 1103515245u + 12345u;
                out << static_cast<char>('!' + (x >> 16) % 90);
            }
            out << '\n';
        }
    }
    return path;
}

std::string loss_name(const std::string& model) {
    return model == "dcgan" ? "loss/d" : "loss/train";
}

}  // namespace

class TestEngineSamplers final : public QObject {
    Q_OBJECT

private slots:
    void resumeContinuesTheSameDraws_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("difficulty");
        QTest::newRow("vae uniform") << "vae"
                                     << "uniform"
                                     << "proxy";
        QTest::newRow("vae hard") << "vae"
                                  << "hard"
                                  << "proxy";
        QTest::newRow("vae curriculum") << "vae"
                                        << "curriculum"
                                        << "proxy";
        QTest::newRow("gpt uniform") << "gpt"
                                     << "uniform"
                                     << "proxy";
        QTest::newRow("gpt hard") << "gpt"
                                  << "hard"
                                  << "proxy";
        QTest::newRow("gpt curriculum loss") << "gpt"
                                             << "curriculum"
                                             << "loss";
        QTest::newRow("dcgan hard") << "dcgan"
                                    << "hard"
                                    << "proxy";
        QTest::newRow("dcgan curriculum") << "dcgan"
                                          << "curriculum"
                                          << "proxy";
    }

    void resumeContinuesTheSameDraws() {
        QFETCH(QString, model);
        QFETCH(QString, kind);
        QFETCH(QString, difficulty);
        QTemporaryDir dir;
        const std::string data = model == "gpt" ? write_corpus(dir) : write_images(dir);
        auto config = [&](int64_t steps) {
            auto c = tiny(model.toStdString(), data, steps);
            c.sampler.kind = kind.toStdString();
            c.sampler.difficulty = difficulty.toStdString();
            c.sampler.beta = 0.5;
            c.sampler.rescore_every = 3;
            c.sampler.stale_after = 2;
            c.sampler.full_at_step = 9;
            c.sampler.start_fraction = 0.05;
            c.augment.flip = model != "gpt";
            c.augment.cutout = model == "vae" ? 6 : 0;
            c.augment.text_delete = model == "gpt" ? 0.05 : 0.0;
            return c;
        };
        const std::string name = loss_name(model.toStdString());
        const auto straight = test::run_to_end(config(12), dir.filePath("s").toStdString());
        QCOMPARE(straight.final_status, api::RunStatus::Completed);
        const std::string ck = dir.filePath("r").toStdString();
        QCOMPARE(test::run_to_end(config(5), ck).final_status, api::RunStatus::Completed);
        const auto resumed = test::run_to_end(config(12), ck, /*resume=*/true);
        QVERIFY2(resumed.final_status == api::RunStatus::Completed, resumed.message.c_str());
        for (const std::string m :
             {name, std::string("sampler/unique_seen"), std::string("sampler/mean_difficulty"),
              std::string("sampler/pool_fraction")}) {
            const auto s = straight.by_step(m);
            const auto r = resumed.by_step(m);
            QCOMPARE(s.size(), std::size_t{12});
            QCOMPARE(r.size(), std::size_t{7});
            QCOMPARE(r.begin()->first, int64_t{6});
            for (const auto& [step, v] : r)
                QVERIFY2(v == s.at(step), (m + " at step " + std::to_string(step)).c_str());
        }
        // A different sampler gives a different run from the same seed.
        auto other = config(12);
        other.sampler.kind = kind == "uniform" ? "hard" : "uniform";
        const auto o = test::run_to_end(other, dir.filePath("o").toStdString());
        QVERIFY(o.series(name) != straight.series(name));
    }

    void samplerMetricsTellWhatItDoes() {
        QTemporaryDir dir;
        const std::string corpus = write_corpus(dir);
        auto c = tiny("gpt", corpus, 12);
        c.sampler.kind = "curriculum";
        c.sampler.start_fraction = 0.1;
        c.sampler.full_at_step = 10;
        const auto cur = test::run_to_end(c, dir.filePath("c").toStdString());
        QCOMPARE(cur.final_status, api::RunStatus::Completed);
        const auto pool = cur.by_step("sampler/pool_fraction");
        QVERIFY(pool.at(1) < 0.25);
        for (int64_t s = 2; s <= 12; ++s) QVERIFY(pool.at(s) >= pool.at(s - 1));
        QCOMPARE(pool.at(10), 1.0);
        // The proxy ranks the repetitive lines first: early batches are easier than late ones.
        const auto diff = cur.by_step("sampler/mean_difficulty");
        QVERIFY(diff.at(1) < diff.at(12));

        c.sampler.kind = "hard";
        c.sampler.uniform_mix = 0.0;
        c.sampler.alpha = 2.0;
        c.train.steps = 30;
        const auto hard = test::run_to_end(c, dir.filePath("h").toStdString());
        c.sampler.kind = "uniform";
        const auto uni = test::run_to_end(c, dir.filePath("u").toStdString());
        // Hard mining re-draws high-loss windows, so it covers less of the set in 30 steps
        // and trains on batches with a higher loss than shuffled epochs do.
        QVERIFY(hard.series("sampler/unique_seen").back() <
                uni.series("sampler/unique_seen").back());
        double hard_mean = 0, uni_mean = 0;
        for (double v : hard.series("sampler/mean_difficulty")) hard_mean += v;
        for (double v : uni.series("sampler/mean_difficulty")) uni_mean += v;
        QVERIFY(hard_mean > uni_mean);
        for (double v : uni.series("sampler/pool_fraction")) QCOMPARE(v, 1.0);
        // Shuffled epochs never repeat a window within an epoch: 8 new ones per step.
        const auto seen = uni.series("sampler/unique_seen");
        QVERIFY(qFuzzyCompare(seen.back(), 30 * seen.front()));
    }

    void augmentationIsReproducibleAndChangesTraining() {
        QTemporaryDir dir;
        auto c = tiny("vae", write_images(dir), 6);
        c.augment.flip = true;
        c.augment.translate = 2;
        c.augment.cutout = 8;
        const auto a = test::run_to_end(c, dir.filePath("a").toStdString());
        const auto b = test::run_to_end(c, dir.filePath("b").toStdString());
        QCOMPARE(a.final_status, api::RunStatus::Completed);
        QVERIFY(a.series("loss/train") == b.series("loss/train"));
        c.augment = api::AugmentConfig{};
        const auto plain = test::run_to_end(c, dir.filePath("p").toStdString());
        QVERIFY(a.series("loss/train") != plain.series("loss/train"));

        const std::string corpus = write_corpus(dir);
        auto g = tiny("gpt", corpus, 6);
        g.augment.text_substitute = 0.1;
        g.augment.text_delete = 0.1;
        const auto ga = test::run_to_end(g, dir.filePath("ga").toStdString());
        const auto gb = test::run_to_end(g, dir.filePath("gb").toStdString());
        QCOMPARE(ga.final_status, api::RunStatus::Completed);
        QVERIFY(ga.series("loss/train") == gb.series("loss/train"));
        g.augment = api::AugmentConfig{};
        const auto gp = test::run_to_end(g, dir.filePath("gp").toStdString());
        QVERIFY(ga.series("loss/train") != gp.series("loss/train"));
    }
};

QTEST_GUILESS_MAIN(TestEngineSamplers)
#include "test_engine_samplers.moc"
