// ProGAN building blocks against hand computations, and the fade-in against the low- and
// high-resolution paths it blends.
#include "engine/models/progan.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QtTest>

#include <cmath>

using namespace wb;

namespace {

models::ProganOptions small() {
    return models::ProganOptions(8, 4);
}

bool close(const torch::Tensor& a, const torch::Tensor& b, double tol = 1e-5) {
    return a.sizes() == b.sizes() && torch::allclose(a, b, tol, tol);
}

}  // namespace

class TestProgan final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void equalizedLinearScalesByHeConstant() {
        // fan_in 4, gain sqrt(2): the stored weight is multiplied by sqrt(2) / 2 in forward.
        models::EqLinear eq(4, 1, std::sqrt(2.0), /*equalized=*/true);
        torch::NoGradGuard no_grad;
        eq->weight.copy_(torch::tensor({{1.0f, 2.0f, 3.0f, 4.0f}}));
        eq->bias.fill_(0.5f);
        auto y = eq->forward(torch::tensor({{1.0f, 1.0f, 1.0f, 1.0f}}));
        QCOMPARE(y.item<float>(), static_cast<float>(10.0 * std::sqrt(2.0) / 2.0 + 0.5));
        // Without equalisation the stored weight is used as is.
        models::EqLinear plain(4, 1, std::sqrt(2.0), /*equalized=*/false);
        plain->weight.copy_(eq->weight);
        plain->bias.fill_(0.5f);
        QCOMPARE(plain->forward(torch::ones({1, 4})).item<float>(), 10.5f);
    }

    void equalizedConvScalesByHeConstantAndGradient() {
        // 2 input channels, 3x3 kernel: fan_in 18, gain sqrt(2) -> scale 1/3.
        models::EqConv2d conv(2, 1, 3, 1, std::sqrt(2.0), true);
        QVERIFY(std::abs(conv->scale - 1.0 / 3.0) < 1e-12);
        {
            torch::NoGradGuard no_grad;
            conv->weight.fill_(1.0f);
        }
        auto x = torch::ones({1, 2, 3, 3});
        auto y = conv->forward(x);
        // Centre pixel sees all 18 inputs: 18 * 1/3; a corner sees 2 channels x 4 pixels: 8/3.
        QCOMPARE(y[0][0][1][1].item<float>(), 6.0f);
        QVERIFY(std::abs(y[0][0][0][0].item<float>() - 8.0f / 3.0f) < 1e-6f);
        // The gradient on the stored weight carries the same scale: d(centre)/dw = 1/3.
        y[0][0][1][1].backward();
        QVERIFY(close(conv->weight.grad(), torch::full({1, 2, 3, 3}, 1.0f / 3.0f)));
    }

    void equalizedAndPlainStartAsTheSameFunction() {
        torch::manual_seed(3);
        models::ProGenerator a(small().equalized_lr(true));
        torch::manual_seed(3);
        models::ProGenerator b(small().equalized_lr(false));
        auto z = torch::randn({2, 8});
        QVERIFY(close(a->forward(z, 3, 1.0), b->forward(z, 3, 1.0), 1e-4));
    }

    void pixelNormByHand() {
        // One pixel with channels (3, 4): mean square 12.5 -> divide by sqrt(12.5).
        auto x = torch::tensor({3.0f, 4.0f}).view({1, 2, 1, 1});
        auto y = models::pixel_norm(x).view({2});
        const float d = std::sqrt(12.5f + 1e-8f);
        QVERIFY(close(y, torch::tensor({3.0f / d, 4.0f / d})));
    }

    void minibatchStddevByHand() {
        // 4 samples, 1 channel, 1x2 pixels, groups of 2: sample i is in group i % 2.
        auto x = torch::tensor({0.0f, 2.0f,   // sample 0, group 0
                                1.0f, 1.0f,   // sample 1, group 1
                                2.0f, 2.0f,   // sample 2, group 0
                                1.0f, 5.0f})  // sample 3, group 1
                     .view({4, 1, 1, 2});
        auto y = models::minibatch_stddev(x, 2);
        QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{4, 2, 1, 2}));
        QVERIFY(close(y.narrow(1, 0, 1), x));
        // Group 0: pixel 0 {0, 2} -> sd 1; pixel 1 {2, 2} -> sd sqrt(1e-8); mean over pixels.
        const float g0 = (1.0f + std::sqrt(1e-8f)) / 2.0f;
        // Group 1: pixel 0 {1, 1} -> sqrt(1e-8); pixel 1 {1, 5} -> sd 2.
        const float g1 = (std::sqrt(1e-8f) + 2.0f) / 2.0f;
        auto sd = y.narrow(1, 1, 1).reshape({4, 2});
        QVERIFY(close(sd, torch::tensor({g0, g0, g1, g1, g0, g0, g1, g1}).view({4, 2})));
        // A batch of 3 cannot be split into groups of 2: the whole batch is one group of 3.
        auto three = models::minibatch_stddev(x.narrow(0, 0, 3), 2);
        auto s = x.narrow(0, 0, 3).std(0, /*unbiased=*/false).mean().item<float>();
        QVERIFY(std::abs(three[0][1][0][0].item<float>() - s) < 1e-4f);
    }

    void generatorFadeEndsAreTheTwoPaths() {
        torch::manual_seed(1);
        models::ProGenerator g(small());
        torch::NoGradGuard no_grad;
        auto z = torch::randn({3, 8});
        for (int64_t level = 1; level < models::kProganLevels; ++level) {
            const int64_t side = models::progan_side(level);
            auto low = g->forward(z, level - 1, 1.0);
            auto high = g->forward(z, level, 1.0);
            QCOMPARE(high.sizes().vec(), (std::vector<int64_t>{3, 1, side, side}));
            // alpha 0: the previous resolution, upsampled by pixel repetition.
            QVERIFY(close(g->forward(z, level, 0.0), models::upsample2x(low)));
            // alpha 0.25: the straight blend of the two.
            QVERIFY(
                close(g->forward(z, level, 0.25), 0.75 * models::upsample2x(low) + 0.25 * high));
        }
        // alpha 1 is the new block alone: zeroing the previous toRGB changes nothing.
        auto before = g->forward(z, 2, 1.0);
        for (auto& p : g->to_rgb[1]->parameters()) p.zero_();
        QVERIFY(close(g->forward(z, 2, 1.0), before));
        QVERIFY(!close(g->forward(z, 2, 0.5), before));
    }

    void discriminatorFadeEndsAreTheTwoPaths() {
        torch::manual_seed(2);
        models::ProDiscriminator d(small());
        torch::NoGradGuard no_grad;
        auto x32 = torch::rand({4, 1, 32, 32}) * 2 - 1;
        for (int64_t level = 1; level < models::kProganLevels; ++level) {
            auto x = models::progan_real_at(x32, level, 1.0);
            auto pooled = models::downsample2x(x);
            // alpha 0: the discriminator of the previous level on the pooled image.
            QVERIFY(close(d->forward(x, level, 0.0), d->forward(pooled, level - 1, 1.0)));
            QCOMPARE(d->forward(x, level, 1.0).sizes().vec(), (std::vector<int64_t>{4}));
        }
        // alpha 1: the new fromRGB alone; the previous one does not matter.
        auto x16 = models::progan_real_at(x32, 2, 1.0);
        auto before = d->forward(x16, 2, 1.0);
        for (auto& p : d->from_rgb[1]->parameters()) p.zero_();
        QVERIFY(close(d->forward(x16, 2, 1.0), before));
        QVERIFY(!close(d->forward(x16, 2, 0.5), before));
    }

    void realImagesFadeLikeTheGenerator() {
        auto x = torch::rand({2, 1, 32, 32});
        auto x16 = models::progan_real_at(x, 2, 1.0);
        QCOMPARE(x16.sizes().vec(), (std::vector<int64_t>{2, 1, 16, 16}));
        // Each 16x16 pixel is the mean of a 2x2 patch.
        QVERIFY(std::abs(x16[1][0][3][5].item<float>() -
                         x.narrow(2, 6, 2).narrow(3, 10, 2)[1][0].mean().item<float>()) < 1e-6f);
        auto x8 = models::progan_real_at(x, 1, 1.0);
        QVERIFY(close(models::progan_real_at(x, 2, 0.0), models::upsample2x(x8)));
        QVERIFY(close(models::progan_real_at(x, 2, 0.5), 0.5 * models::upsample2x(x8) + 0.5 * x16));
        QVERIFY(close(models::progan_real_at(x, 3, 1.0), x));
        QCOMPARE(models::progan_real_at(x, 0, 0.3).size(2), int64_t{4});
    }

    void packedDiscriminatorJudgesGroups() {
        models::ProDiscriminator d(small().pack(2));
        QCOMPARE(d->forward(torch::randn({6, 1, 8, 8}), 1, 0.5).sizes().vec(),
                 (std::vector<int64_t>{3}));
    }

    void optionsChangeTheNetworks() {
        // Without pixel norm / minibatch stddev the layers are absent, not bypassed at run time.
        models::ProGenerator with(small()), without(small().pixel_norm(false));
        QVERIFY(with->blocks[0]->children().size() > without->blocks[0]->children().size());
        models::ProDiscriminator sd(small()), nosd(small().minibatch_stddev(false));
        const auto in_channels = [](models::ProDiscriminator d) {
            for (auto& m : d->blocks[0]->children())
                if (auto* c = m->as<models::EqConv2dImpl>()) return c->weight.size(1);
            return int64_t{-1};
        };
        QCOMPARE(in_channels(sd), in_channels(nosd) + 1);
    }
};

QTEST_APPLESS_MAIN(TestProgan)
#include "test_progan.moc"
