// FID against a reference built from real data: with the canonical extractor (trained here twice,
// with two seeds, exactly as a first FID trains it), real/real << mild corruption < strong
// corruption < uniform noise, for Gaussian blur and salt-and-pepper noise alike, on both, and
// both give about the same values.
#include <cmath>
#include <cstdio>

#include "engine/data/idx.h"
#include "engine/eval/feature_extractor.h"
#include "engine/eval/frechet.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QtTest>

using namespace wb::engine;

namespace {

namespace F = torch::nn::functional;

torch::Tensor gaussian_blur(const torch::Tensor& x, double sigma) {
    const int64_t radius = static_cast<int64_t>(std::ceil(3 * sigma));
    auto t = torch::arange(-radius, radius + 1, torch::kFloat32);
    auto k = torch::exp(-t * t / (2 * sigma * sigma));
    k = k / k.sum();
    auto k2 = (k.view({-1, 1}) * k.view({1, -1})).view({1, 1, 2 * radius + 1, 2 * radius + 1});
    auto padded =
        F::pad(x, F::PadFuncOptions({radius, radius, radius, radius}).mode(torch::kReplicate));
    return F::conv2d(padded, k2);
}

torch::Tensor salt_and_pepper(const torch::Tensor& x, double p, at::Generator& gen) {
    auto hit = torch::rand(x.sizes(), gen) < p;
    auto value = (torch::rand(x.sizes(), gen) < 0.5).to(torch::kFloat32) * 2 - 1;
    return torch::where(hit, value, x);
}

struct Case {
    std::string name;
    torch::Tensor images;
};

}  // namespace

class TestFidReference final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        torch::set_num_threads(1);
        m_data = data::load_fashion_mnist("");
        for (uint64_t seed : {0, 1}) {
            eval::ExtractorTraining t;
            t.seed = seed;
            m_extractors.push_back(eval::train_extractor(m_data, t));
            const auto& e = m_extractors.back();
            std::printf("extractor seed %llu: Fashion-MNIST test accuracy %.2f%%, checksum %s\n",
                        static_cast<unsigned long long>(seed), 100 * e.test_accuracy,
                        e.checksum.c_str());
        }
    }

    void canonicalExtractorsPassTheBar() {
        for (const auto& e : m_extractors) {
            QVERIFY(e.trained_on.canonical());
            QVERIFY2(e.test_accuracy >= 0.85, std::to_string(e.test_accuracy).c_str());
            QVERIFY(eval::canonical_problem(e).empty());
        }
        QVERIFY(m_extractors[0].checksum != m_extractors[1].checksum);
    }

    void corruptionRanksMonotonically() {
        const auto& test = m_data.test.images;
        auto a = test.narrow(0, 0, 5000), b = test.narrow(0, 5000, 5000);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
        std::vector<Case> blur = {{"real/real", b},
                                  {"blur 0.5", gaussian_blur(b, 0.5)},
                                  {"blur 1.0", gaussian_blur(b, 1.0)},
                                  {"blur 2.0", gaussian_blur(b, 2.0)}};
        std::vector<Case> sp = {{"real/real", b},
                                {"s&p 1%", salt_and_pepper(b, 0.01, gen)},
                                {"s&p 5%", salt_and_pepper(b, 0.05, gen)},
                                {"s&p 20%", salt_and_pepper(b, 0.20, gen)}};
        const Case noise{"uniform noise", torch::rand(b.sizes(), gen) * 2 - 1};
        for (auto* series : {&blur, &sp}) series->push_back(noise);

        std::vector<std::vector<double>> all;  // per extractor: every case of both series
        for (const auto& e : m_extractors) {
            all.emplace_back();
            const auto ref = eval::gaussian_stats(eval::extract_features(e.net, a));
            auto fid = [&](const torch::Tensor& x) {
                return eval::frechet_distance(
                    ref, eval::gaussian_stats(eval::extract_features(e.net, x)));
            };
            for (const auto* series : {&blur, &sp}) {
                std::vector<double> values;
                for (const auto& c : *series) {
                    values.push_back(fid(c.images));
                    std::printf("  extractor %s  %-14s FID %10.4f\n", e.checksum.c_str(),
                                c.name.c_str(), values.back());
                }
                // real/real is far below the mildest corruption; each step up is worse.
                QVERIFY2(values[0] * 4 < values[1], std::to_string(values[1]).c_str());
                for (size_t i = 1; i < values.size(); ++i)
                    QVERIFY2(values[i - 1] < values[i], (*series)[i].name.c_str());
                all.back().insert(all.back().end(), values.begin(), values.end());
            }
        }
        // Two trainings with different seeds agree to well within the gaps between the cases
        // (measured: 1.1x to 1.4x apart; the cases are 4x to 25x apart).
        for (size_t i = 0; i < all[0].size(); ++i) {
            const double lo = std::min(all[0][i], all[1][i]), hi = std::max(all[0][i], all[1][i]);
            QVERIFY2(hi < 1.6 * lo, std::to_string(i).c_str());
        }
    }

private:
    data::ImageData m_data;
    std::vector<eval::Extractor> m_extractors;
};

QTEST_APPLESS_MAIN(TestFidReference)
#include "test_fid_reference.moc"
