// FID and KID against closed forms, and the feature extractor's file handling and refusals (a few
// training steps on synthetic images: plumbing only; test_fid_reference trains the real one).
#include <fstream>

#include <zlib.h>

#include "engine/api/fid_extractor_info.h"
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

eval::Extractor tiny(double accuracy_on_record = -1) {
    eval::ExtractorTraining t;
    t.max_steps = 20;
    t.batch_size = 20;
    auto e = eval::train_extractor(synthetic(400), t);
    if (accuracy_on_record >= 0) {
        // A file whose record says "Fashion-MNIST's training set": what the checks can see.
        e.trained_on = {eval::kFashionMnistTrainCrc, eval::kFashionMnistTrainImages,
                        eval::kFashionMnistTestImages, 937, 0};
        e.test_accuracy = accuracy_on_record;
    }
    return e;
}

std::string tiny_extractor(const std::string& path, double accuracy_on_record = -1) {
    auto e = tiny(accuracy_on_record);
    eval::save_extractor(e, path);
    return e.checksum;
}

struct Attempt {
    std::vector<std::string> logs;
    std::string error;
    int loads = 0;
};

// load_or_train_extractor with synthetic data: whatever it decides to train is refused.
Attempt load_or_train_synthetic(const std::string& path) {
    Attempt a;
    eval::ExtractorTraining t;
    t.max_steps = 2;
    try {
        eval::load_or_train_extractor(
            path,
            [&] {
                ++a.loads;
                return synthetic(40);
            },
            [&](const std::string& level, const std::string& text) {
                a.logs.push_back(level + ": " + text);
            },
            t);
    } catch (const eval::ExtractorError& e) {
        a.error = e.what();
    }
    return a;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
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

    void corruptExtractorIsReportedAndReplaced() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("x.wbfx").toStdString();
        tiny_extractor(path, 0.9);
        {
            std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(-100, std::ios::end);
            f.put('\x5a');
        }
        try {
            eval::load_extractor(path);
            QFAIL("a corrupt file loaded");
        } catch (const eval::ExtractorError& e) {
            QVERIFY2(contains(e.what(), "checksum mismatch"), e.what());
        }
        // It is reported, naming the file, and the replacement is trained on the canonical data
        // only: synthetic data is refused before any training.
        const auto a = load_or_train_synthetic(path);
        QCOMPARE(a.loads, 1);
        QVERIFY(!a.logs.empty() && a.logs.front().rfind("warning: ", 0) == 0);
        QVERIFY(contains(a.logs.front(), path));
        QVERIFY2(contains(a.error, "not Fashion-MNIST's training set"), a.error.c_str());
    }

    void missingExtractorIsAnnouncedAndNeedsFashionMnist() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("sub/dir/x.wbfx").toStdString();
        const auto a = load_or_train_synthetic(path);
        QVERIFY(!a.logs.empty() && a.logs.front().rfind("info: ", 0) == 0);
        QVERIFY2(contains(a.error, "not Fashion-MNIST's training set"), a.error.c_str());
        QVERIFY(!QFile::exists(QString::fromStdString(path)));
    }

    void canonicalFileIsUsedAsIs() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("x.wbfx").toStdString();
        const std::string crc = tiny_extractor(path, 0.9);
        const auto a = load_or_train_synthetic(path);
        QCOMPARE(a.loads, 0);  // no training, no data loaded
        QVERIFY2(a.error.empty(), a.error.c_str());
        QVERIFY(a.logs.empty());
        QCOMPARE(eval::load_extractor(path).checksum, crc);
    }

    void fileRecordsWhatItWasTrainedOn() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("x.wbfx").toStdString();
        const auto e = tiny();
        eval::save_extractor(e, path);
        const auto back = eval::load_extractor(path);
        QCOMPARE(back.trained_on.data_crc32, eval::training_set_crc(synthetic(400).train));
        QCOMPARE(back.trained_on.train_images, int64_t{400});
        QCOMPARE(back.trained_on.test_images, int64_t{100});
        QCOMPARE(back.trained_on.steps, int64_t{20});
        QVERIFY(!back.trained_on.canonical());
        QVERIFY(contains(eval::canonical_problem(back), "not trained on Fashion-MNIST"));
    }

    void plantedOtherDataExtractorIsRefused() {
        // What the test suite used to leave behind: an extractor trained on a test's images.
        QTemporaryDir dir;
        const std::string path = dir.filePath("x.wbfx").toStdString();
        tiny_extractor(path);
        const auto a = load_or_train_synthetic(path);
        QVERIFY(!a.logs.empty());
        QVERIFY2(contains(a.logs.front(), "warning: refusing the FID feature extractor " + path),
                 a.logs.front().c_str());
        QVERIFY(contains(a.logs.front(), "400 training images"));
        QVERIFY(contains(a.logs.front(), "moved it to " + path + ".rejected"));
        QVERIFY(QFile::exists(QString::fromStdString(path + ".rejected")));
        QVERIFY(!a.error.empty());
    }

    void plantedLowAccuracyExtractorIsRefused() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("x.wbfx").toStdString();
        tiny_extractor(path, 0.1562);
        const auto a = load_or_train_synthetic(path);
        QVERIFY(!a.logs.empty());
        QVERIFY2(contains(a.logs.front(), "refusing the FID feature extractor " + path),
                 a.logs.front().c_str());
        QVERIFY2(contains(a.logs.front(), "15.62%, below the 80%"), a.logs.front().c_str());
    }

    void fashionMnistTrainingSetHasTheRecordedChecksum() {
        const auto data = engine::data::load_fashion_mnist("");
        QCOMPARE(data.train.images.size(0), eval::kFashionMnistTrainImages);
        QCOMPARE(data.test.images.size(0), eval::kFashionMnistTestImages);
        QCOMPARE(QString::fromStdString(eval::training_set_crc(data.train)),
                 QString(eval::kFashionMnistTrainCrc));
        QVERIFY(eval::training_set_crc(data.test) != eval::kFashionMnistTrainCrc);
    }

    void identityRecordNamesChecksumAndAccuracy() {
        auto e = tiny(0.8821);
        e.path = "/x.wbfx";
        const std::string env = R"({"device":"cpu","fid_extractor":)" + e.identity_json() + "}";
        const auto info = api::fid_extractor_of(env);
        QVERIFY(info.has_value());
        QCOMPARE(info->checksum, e.checksum);
        QCOMPARE(api::describe(*info), "extractor " + e.checksum + ", 88.21% test accuracy");
        QVERIFY(!api::fid_extractor_of(R"({"device":"cpu"})").has_value());
        QVERIFY(!api::fid_extractor_of("not json").has_value());
        const std::string other = R"({"fid_extractor":{"checksum":"0badf00d"}})";
        QVERIFY(api::fid_extractor_mismatch({env, env, "{}"}).empty());
        QVERIFY(contains(api::fid_extractor_mismatch({env, other}), "0badf00d"));
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

    // Issue 20, item 3: a PNG whose header claims 60000x60000 grew memory without limit.
    void hugePngHeaderIsRefused() {
        QTemporaryDir dir;
        std::vector<uint8_t> px(28 * 28, 7);
        std::ofstream(dir.filePath("a.png").toStdString(), std::ios::binary)
            << engine::encode_png(px.data(), 28, 28, 1);
        // A PNG whose IHDR (valid CRC) says 60000x60000 grey, with a few bytes of image data:
        // a small file that would ask for 3.6 GB.
        const auto be32 = [](uint32_t v) {
            return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                               static_cast<char>(v >> 8), static_cast<char>(v)};
        };
        const auto chunk = [&be32](const std::string& type, const std::string& data) {
            const std::string body = type + data;
            const auto crc = static_cast<uint32_t>(
                crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size()));
            return be32(static_cast<uint32_t>(data.size())) + body + be32(crc);
        };
        std::string rows(1000, '\0'), packed(compressBound(rows.size()), '\0');
        uLongf packed_size = packed.size();
        compress(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                 reinterpret_cast<const Bytef*>(rows.data()), rows.size());
        packed.resize(packed_size);
        const std::string png =
            std::string("\x89PNG\r\n\x1a\n", 8) +
            chunk("IHDR", be32(60000) + be32(60000) + std::string("\x08\x00\x00\x00\x00", 5)) +
            chunk("IDAT", packed) + chunk("IEND", "");
        std::ofstream(dir.filePath("b.png").toStdString(), std::ios::binary) << png;
        try {
            eval::load_image_set(dir.path().toStdString());
            QFAIL("a 60000x60000 PNG was accepted");
        } catch (const engine::data::DataError& e) {
            const std::string what = e.what();
            QVERIFY2(what.find("b.png: is 60000x60000 pixels") != std::string::npos, e.what());
            QVERIFY2(what.find("larger than 4096x4096") != std::string::npos, e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestFid)
#include "test_fid.moc"
