// FID and KID against closed forms, and the feature extractor's file handling (a few training
// steps on synthetic images: plumbing only; its real accuracy is measured by `workbench-cli fid`).
#include <fstream>

#include "engine/data/data_error.h"
#include "engine/eval/feature_extractor.h"
#include "engine/eval/frechet.h"
#include "engine/eval/image_files.h"
#include "engine/image_grid.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QTemporaryDir>
#include <QtTest>

using namespace wb;
using namespace wb::engine;

namespace {

eval::GaussianStats stats(std::vector<double> mu, std::vector<double> sigma) {
    const auto d = static_cast<int64_t>(mu.size());
    auto opts = torch::TensorOptions().dtype(torch::kFloat64);
    return {torch::tensor(mu, opts), torch::tensor(sigma, opts).view({d, d}), 1000};
}

// Samples of N(mu, sigma) through the Cholesky factor.
torch::Tensor gaussian(const std::vector<double>& mu, const std::vector<double>& sigma, int64_t n,
                       at::Generator& gen) {
    auto s = stats(mu, sigma);
    auto l = torch::linalg::cholesky(s.sigma);
    return torch::randn({n, s.mu.size(0)}, gen, torch::kFloat64).mm(l.t()) + s.mu;
}

// Class c is a bright square at position c: learnable in a few steps.
data::ImageData synthetic(int64_t n) {
    data::ImageData d;
    auto make = [](int64_t count) {
        data::ImageSet s;
        s.labels = torch::arange(count) % 10;
        s.images = torch::full({count, 1, 32, 32}, -1.0f);
        for (int64_t i = 0; i < count; ++i) {
            const int64_t c = s.labels[i].item<int64_t>();
            s.images[i][0].narrow(0, 3 * c, 4).narrow(1, 3 * c, 4).fill_(1.0f);
        }
        return s;
    };
    d.train = make(n);
    d.test = make(100);
    d.source = "synthetic";
    return d;
}

std::string tiny_extractor(const std::string& path) {
    eval::ExtractorTraining t;
    t.max_steps = 20;
    t.batch_size = 20;
    auto e = eval::train_extractor(synthetic(400), t);
    eval::save_extractor(e, path);
    return e.checksum;
}

}  // namespace

class TestFid final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void frechetOfDiagonalGaussians() {
        // |mu1 - mu2|^2 = 1 + 4; per dimension (sd1 - sd2)^2 = (2 - 1)^2 + (3 - 1)^2.
        auto a = stats({1, 2}, {4, 0, 0, 9}), b = stats({0, 0}, {1, 0, 0, 1});
        QCOMPARE(eval::frechet_distance(a, b), 10.0);
        QCOMPARE(eval::frechet_distance(a, a), 0.0);
    }

    void frechetOfNonCommutingCovariances() {
        // For 2x2 PSD M: tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)), with M = S1^1/2 S2 S1^1/2:
        // tr M = tr(S1 S2) = 2 + 8, det M = det S1 det S2 = 3 * 4.
        auto a = stats({0, 0}, {2, 1, 1, 2}), b = stats({3, 0}, {1, 0, 0, 4});
        const double expected = 9.0 + 4.0 + 5.0 - 2.0 * std::sqrt(10.0 + 2.0 * std::sqrt(12.0));
        QVERIFY(std::abs(eval::frechet_distance(a, b) - expected) < 1e-10);
        QVERIFY(std::abs(eval::frechet_distance(b, a) - expected) < 1e-10);
    }

    void frechetFromSamplesConverges() {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
        auto x = gaussian({0, 0}, {2, 1, 1, 2}, 200000, gen);
        auto y = gaussian({3, 0}, {1, 0, 0, 4}, 200000, gen);
        const double expected = 9.0 + 4.0 + 5.0 - 2.0 * std::sqrt(10.0 + 2.0 * std::sqrt(12.0));
        const double fid = eval::frechet_distance(eval::gaussian_stats(x), eval::gaussian_stats(y));
        QVERIFY2(std::abs(fid - expected) < 0.05, std::to_string(fid).c_str());
    }

    void sqrtmSquaresBack() {
        auto s = stats({0, 0, 0}, {4, 1, 0, 1, 3, 1, 0, 1, 2}).sigma;
        auto r = eval::sqrtm_psd(s);
        QVERIFY(torch::allclose(r.mm(r), s, 1e-12, 1e-12));
    }

    void kernelDistanceByHand() {
        // D = 1, x = {0, 1}, y = {1, 2}, k(a, b) = (ab + 1)^3:
        // xx off-diagonal mean 1, yy 27, xy mean (1 + 1 + 8 + 27) / 4.
        auto opts = torch::TensorOptions().dtype(torch::kFloat64);
        auto x = torch::tensor({0.0, 1.0}, opts).view({2, 1});
        auto y = torch::tensor({1.0, 2.0}, opts).view({2, 1});
        QCOMPARE(eval::kernel_distance(x, y), 1.0 + 27.0 - 2.0 * 37.0 / 4.0);
    }

    void kernelDistanceSeparatesDistributions() {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
        auto a = torch::randn({2000, 8}, gen, torch::kFloat64);
        auto b = torch::randn({2000, 8}, gen, torch::kFloat64);
        const double same = eval::kernel_distance(a, b), shifted = eval::kernel_distance(a, b + 1);
        QVERIFY2(std::abs(same) < 0.01, std::to_string(same).c_str());
        QVERIFY2(shifted > 100 * std::abs(same), std::to_string(shifted).c_str());
    }

    void extractorRoundTripsWithChecksum() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("fid/x.wbfx").toStdString();
        const std::string crc = tiny_extractor(path);
        auto e = eval::load_extractor(path);
        QCOMPARE(e.checksum, crc);
        QCOMPARE(e.path, path);
        QVERIFY(e.test_accuracy >= 0.0 && e.test_accuracy <= 1.0);
        auto imgs = synthetic(20).test.images.narrow(0, 0, 10);
        auto f = eval::extract_features(e.net, imgs);
        QCOMPARE(f.sizes().vec(),
                 (std::vector<int64_t>{10, eval::FashionClassifierImpl::kFeatureDim}));
        QVERIFY(torch::equal(f, eval::extract_features(eval::load_extractor(path).net, imgs)));
    }

    void corruptExtractorIsReportedAndRetrained() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("x.wbfx").toStdString();
        tiny_extractor(path);
        {
            std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(-100, std::ios::end);
            f.put('\x5a');
        }
        try {
            eval::load_extractor(path);
            QFAIL("a corrupt file loaded");
        } catch (const eval::ExtractorError& e) {
            QVERIFY2(std::string(e.what()).find("checksum mismatch") != std::string::npos,
                     e.what());
        }
        std::vector<std::string> logs;
        int loads = 0;
        eval::ExtractorTraining t;
        t.max_steps = 2;
        auto e = eval::load_or_train_extractor(
            path,
            [&] {
                ++loads;
                return synthetic(40);
            },
            [&](const std::string& level, const std::string& text) {
                logs.push_back(level + ": " + text);
            },
            t);
        QCOMPARE(loads, 1);
        QVERIFY(!logs.empty() && logs.front().rfind("warning: ", 0) == 0);
        QVERIFY(logs.front().find(path) != std::string::npos);
        QCOMPARE(eval::load_extractor(path).checksum, e.checksum);
        // A valid file is used as is: no training, no data loaded.
        eval::load_or_train_extractor(
            path,
            [&] {
                ++loads;
                return synthetic(40);
            },
            [](const std::string&, const std::string&) {}, t);
        QCOMPARE(loads, 1);
    }

    void missingExtractorIsTrainedWithANotice() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("sub/dir/x.wbfx").toStdString();
        std::vector<std::string> levels;
        eval::ExtractorTraining t;
        t.max_steps = 2;
        eval::load_or_train_extractor(
            path, [] { return synthetic(40); },
            [&](const std::string& level, const std::string&) { levels.push_back(level); }, t);
        QCOMPARE(levels.front(), std::string("info"));
        QVERIFY(QFile::exists(QString::fromStdString(path)));
    }

    void pngFolderAndIdxFileLoad() {
        QTemporaryDir dir;
        std::vector<uint8_t> white(28 * 28, 255), grey(28 * 28, 0);
        for (auto [name, px] : {std::pair{"a.png", &white}, std::pair{"b.png", &grey}}) {
            std::ofstream(dir.filePath(name).toStdString(), std::ios::binary)
                << engine::encode_png(px->data(), 28, 28, 1);
        }
        auto x = eval::load_image_set(dir.path().toStdString());
        QCOMPARE(x.sizes().vec(), (std::vector<int64_t>{2, 1, 32, 32}));
        QCOMPARE(x[0][0][0][0].item<float>(), -1.0f);  // padding is background
        QCOMPARE(x[0][0][5][5].item<float>(), 1.0f);
        QCOMPARE(x[1][0][5][5].item<float>(), -1.0f);
        QCOMPARE(eval::load_image_set(dir.path().toStdString(), 1).size(0), int64_t{1});
        // An IDX images file: magic 0x00000803, dims 3 x 2 x 2.
        const std::string idx = dir.filePath("x.idx").toStdString();
        {
            std::ofstream f(idx, std::ios::binary);
            const unsigned char head[] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2};
            f.write(reinterpret_cast<const char*>(head), sizeof head);
            for (int i = 0; i < 12; ++i) f.put(static_cast<char>(i * 20));
        }
        auto y = eval::load_image_set(idx);
        QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{3, 1, 32, 32}));
        QCOMPARE(y[2][0][15][15].item<float>(), static_cast<float>(8 * 20 / 127.5 - 1.0));
        // Mixed sizes in one folder are an error naming the file.
        std::vector<uint8_t> small(10 * 10, 9);
        std::ofstream(dir.filePath("c.png").toStdString(), std::ios::binary)
            << engine::encode_png(small.data(), 10, 10, 1);
        try {
            eval::load_image_set(dir.path().toStdString());
            QFAIL("mixed sizes accepted");
        } catch (const engine::data::DataError& e) {
            QVERIFY2(std::string(e.what()).find("c.png") != std::string::npos, e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestFid)
#include "test_fid.moc"
