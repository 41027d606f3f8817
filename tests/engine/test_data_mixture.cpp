#include <cmath>
#include <vector>

// Torch first: Qt's `slots` macro breaks torch headers included after it.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <QtTest>

#include "engine/data/data_error.h"
#include "engine/data/mixture2d.h"

using wb::engine::data::DataError;
namespace data = wb::engine::data;

class TestDataMixture final : public QObject {
    Q_OBJECT

private slots:
    void centersOnCircle();
    void modesEvenlyUsed();
    void noiseHasRequestedStd();
    void sameSeedSameSamples();
    void badArgumentsRejected();
};

void TestDataMixture::centersOnCircle() {
    const torch::Tensor c = data::mixture_centers(8, 2.0).to(torch::kFloat64);
    QCOMPARE(c.sizes().vec(), (std::vector<int64_t>{8, 2}));
    QCOMPARE(data::mixture_centers(8, 2.0).scalar_type(), torch::kFloat32);
    QVERIFY(torch::allclose(c[0], torch::tensor({2.0, 0.0}, torch::kFloat64), 0, 1e-6));
    QVERIFY(torch::allclose(c[2], torch::tensor({0.0, 2.0}, torch::kFloat64), 0, 1e-6));
    QVERIFY(torch::allclose(c.norm(2, 1), torch::full({8}, 2.0, torch::kFloat64), 0, 1e-6));
    // Neighbours (including last -> first) are all one chord apart.
    const torch::Tensor gaps = (c - c.roll(1, 0)).norm(2, 1);
    QVERIFY(torch::allclose(gaps, torch::full({8}, 2 * 2.0 * std::sin(M_PI / 8), torch::kFloat64),
                            0, 1e-6));
    QVERIFY(torch::allclose(data::mixture_centers(1, 3.0), torch::tensor({{3.0f, 0.0f}})));
}

void TestDataMixture::modesEvenlyUsed() {
    const int64_t n = 10000;
    for (const int64_t modes : {3, 8, 25}) {
        at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(2024 + modes);
        const torch::Tensor x = data::sample_mixture(n, modes, 2.0, 0.02, gen);
        QCOMPARE(x.sizes().vec(), (std::vector<int64_t>{n, 2}));
        QCOMPARE(x.scalar_type(), torch::kFloat32);
        const torch::Tensor nearest = torch::cdist(x, data::mixture_centers(modes, 2.0)).argmin(1);
        const torch::Tensor counts = torch::bincount(nearest, {}, modes).to(torch::kFloat64);
        const double p = 1.0 / static_cast<double>(modes);
        const double sigma = std::sqrt(n * p * (1 - p));
        QVERIFY2((counts - n * p).abs().max().item<double>() <= 3 * sigma,
                 qPrintable(QString("modes %1: counts stray past 3 sigma").arg(modes)));
    }
}

void TestDataMixture::noiseHasRequestedStd() {
    const int64_t n = 10000;
    const double std = 0.05;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(99);
    const torch::Tensor x = data::sample_mixture(n, 8, 2.0, std, gen).to(torch::kFloat64);
    const torch::Tensor centers = data::mixture_centers(8, 2.0).to(torch::kFloat64);
    const torch::Tensor offset = x - centers.index_select(0, torch::cdist(x, centers).argmin(1));
    // Per-axis offsets are N(0, std^2); with n = 10000 their sample std is within ~1%.
    const torch::Tensor axis_std = offset.std(0);
    QVERIFY2((axis_std / std - 1).abs().max().item<double>() < 0.05,
             qPrintable(QString("axis std %1 %2")
                            .arg(axis_std[0].item<double>())
                            .arg(axis_std[1].item<double>())));
    QVERIFY(offset.mean(0).abs().max().item<double>() < 4 * std / std::sqrt(double(n)));
    // The radial distance follows a Rayleigh law: mean std*sqrt(pi/2), std std*sqrt((4-pi)/2).
    const torch::Tensor dist = offset.norm(2, 1);
    QVERIFY(std::abs(dist.mean().item<double>() / (std * std::sqrt(M_PI / 2)) - 1) < 0.03);
    QVERIFY(std::abs(dist.std().item<double>() / (std * std::sqrt((4 - M_PI) / 2)) - 1) < 0.05);

    at::Generator exact = at::make_generator<at::CPUGeneratorImpl>(5);
    const torch::Tensor pinned = data::sample_mixture(100, 4, 1.5, 0.0, exact);
    QVERIFY(torch::allclose(pinned.norm(2, 1), torch::full({100}, 1.5f)));
}

void TestDataMixture::sameSeedSameSamples() {
    at::Generator a = at::make_generator<at::CPUGeneratorImpl>(42);
    at::Generator b = at::make_generator<at::CPUGeneratorImpl>(42);
    at::Generator c = at::make_generator<at::CPUGeneratorImpl>(43);
    const torch::Tensor first = data::sample_mixture(1000, 8, 2.0, 0.02, a);
    QVERIFY(torch::equal(first, data::sample_mixture(1000, 8, 2.0, 0.02, b)));
    QVERIFY(!torch::equal(first, data::sample_mixture(1000, 8, 2.0, 0.02, c)));
    const torch::Tensor second = data::sample_mixture(1000, 8, 2.0, 0.02, a);
    QVERIFY(!torch::equal(first, second));
    QVERIFY(torch::equal(second, data::sample_mixture(1000, 8, 2.0, 0.02, b)));
    // The global generator must not be what drives sampling.
    torch::manual_seed(1);
    at::Generator d = at::make_generator<at::CPUGeneratorImpl>(42);
    const torch::Tensor after_reseed = data::sample_mixture(1000, 8, 2.0, 0.02, d);
    QVERIFY(torch::equal(first, after_reseed));
}

void TestDataMixture::badArgumentsRejected() {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
    QVERIFY_THROWS_EXCEPTION(DataError, data::mixture_centers(0, 1.0));
    QVERIFY_THROWS_EXCEPTION(DataError, data::sample_mixture(10, 8, 2.0, -0.1, gen));
    QVERIFY_THROWS_EXCEPTION(DataError, data::sample_mixture(10, 8, std::nan(""), 0.1, gen));
    QCOMPARE(data::sample_mixture(0, 8, 2.0, 0.1, gen).size(0), 0);
}

QTEST_GUILESS_MAIN(TestDataMixture)
#include "test_data_mixture.moc"
