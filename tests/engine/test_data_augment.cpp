// Image augmentation, text windows with noise, and the difficulty proxies, each against a
// hand-computed reference.
#include <cmath>
#include <set>
#include <vector>

// Torch first: Qt's `slots` macro breaks torch headers included after it.
#include <torch/torch.h>
#include <QtTest>

#include "engine/data/augment.h"
#include "engine/data/data_error.h"
#include "engine/data/difficulty.h"
#include "engine/data/text_windows.h"

using namespace wb::engine::data;

namespace {

at::Generator gen(uint64_t seed) {
    return at::make_generator<at::CPUGeneratorImpl>(seed);
}

// Images of background with one bright pixel at (row, col) each.
torch::Tensor dots(const std::vector<std::pair<int64_t, int64_t>>& at, int64_t side) {
    auto x = torch::full({static_cast<int64_t>(at.size()), 1, side, side}, kImageBackground);
    for (size_t i = 0; i < at.size(); ++i) x[i][0][at[i].first][at[i].second] = 1.0;
    return x;
}

std::pair<int64_t, int64_t> bright(const torch::Tensor& image) {
    const auto flat = image.reshape({-1}).argmax().item<int64_t>();
    const int64_t side = image.size(-1);
    return {flat / side, flat % side};
}

}  // namespace

class TestDataAugment final : public QObject {
    Q_OBJECT

private slots:
    void flipMirrorsAboutHalfTheImages() {
        const auto x = torch::rand({400, 1, 6, 6}, gen(1)) * 2 - 1;
        auto g = gen(9);
        const auto y = flip_translate(x, {true, 0, 0}, g);
        int64_t flipped = 0;
        for (int64_t i = 0; i < 400; ++i) {
            const bool same = torch::equal(y[i], x[i]);
            const bool mirrored = torch::equal(y[i], x[i].flip({2}));
            QVERIFY(same != mirrored);
            flipped += mirrored;
        }
        QVERIFY(flipped > 150 && flipped < 250);  // Binomial(400, 1/2): 5 sigma = 50
        QVERIFY(torch::equal(x, torch::rand({400, 1, 6, 6}, gen(1)) * 2 - 1));  // input intact
        auto g2 = gen(9);
        QVERIFY(torch::equal(flip_translate(x, {true, 0, 0}, g2), y));  // same seed, same flips
    }

    void translateShiftsWithinRangeAndFillsBackground() {
        std::vector<std::pair<int64_t, int64_t>> at(300, {8, 8});
        const auto x = dots(at, 16);
        auto g = gen(4);
        const auto y = flip_translate(x, {false, 3, 0}, g);
        std::set<std::pair<int64_t, int64_t>> shifts;
        for (int64_t i = 0; i < 300; ++i) {
            const auto [r, c] = bright(y[i]);
            QVERIFY(std::abs(r - 8) <= 3 && std::abs(c - 8) <= 3);
            shifts.insert({r - 8, c - 8});
            // Exactly one bright pixel; the rest is background (nothing wraps around).
            QCOMPARE((y[i] > 0).sum().item<int64_t>(), int64_t{1});
            QCOMPARE((y[i] == kImageBackground).sum().item<int64_t>(), int64_t{255});
        }
        QCOMPARE(shifts.size(), std::size_t{49});  // every shift in [-3,3]^2 occurs
        // A pixel near the border shifted out leaves an all-background image.
        bool lost = false;
        for (int64_t i = 0; i < 100 && !lost; ++i) {
            auto gi = gen(100 + i);
            lost =
                (flip_translate(dots({{0, 0}}, 16), {false, 2, 0}, gi) > 0).sum().item<int64_t>() ==
                0;
        }
        QVERIFY(lost);
    }

    void cutoutBlanksOneSquare() {
        const auto x = torch::ones({200, 1, 12, 12});
        auto g = gen(2);
        const auto y = cutout(x, 4, g);
        int64_t full_squares = 0;
        for (int64_t i = 0; i < 200; ++i) {
            const auto hole = (y[i][0] == kImageBackground);
            const auto n = hole.sum().item<int64_t>();
            QVERIFY(n >= 4 && n <= 16);  // clipped at the border, never empty for size 4
            // The hole is a rectangle: its bounding box is completely blank.
            const auto rows = hole.any(1).nonzero().view({-1});
            const auto cols = hole.any(0).nonzero().view({-1});
            QCOMPARE(rows.numel() * cols.numel(), n);
            full_squares += n == 16;
        }
        QVERIFY(full_squares > 80);  // centres away from the border give whole 4x4 squares
        QVERIFY(torch::equal(x, torch::ones({200, 1, 12, 12})));
        auto g0 = gen(2);
        QVERIFY(torch::equal(cutout(x, 0, g0), x));
    }

    void windowsAreSlicesOfTheText() {
        const auto ids = torch::arange(100, torch::kInt64);
        QCOMPARE(text_window_count(ids, 10), int64_t{9});  // the last target is token 99
        QCOMPARE(text_window_count(ids, 33), int64_t{3});
        const auto [x, y] = text_windows(ids, torch::tensor({0, 8, 3}, torch::kInt64), 10);
        QVERIFY(torch::equal(x[0], torch::arange(0, 10, torch::kInt64)));
        QVERIFY(torch::equal(y[0], torch::arange(1, 11, torch::kInt64)));
        QVERIFY(torch::equal(x[1], torch::arange(80, 90, torch::kInt64)));
        QVERIFY(torch::equal(y[1], torch::arange(81, 91, torch::kInt64)));
        QVERIFY(torch::equal(x[2], torch::arange(30, 40, torch::kInt64)));
        QVERIFY_THROWS_EXCEPTION(std::out_of_range,
                                 text_windows(ids, torch::tensor({9}, torch::kInt64), 10));
        QVERIFY_THROWS_EXCEPTION(DataError, text_window_count(torch::arange(10), 10));
    }

    void textNoiseDeletesAndSubstitutes() {
        const int64_t len = 20000, t = 32;
        const auto ids = torch::arange(len, torch::kInt64);  // every token is its own position
        const auto windows = torch::arange(text_window_count(ids, t), torch::kInt64);
        auto g0 = gen(3);
        const auto [cx, cy] = noisy_text_windows(ids, windows, t, {0, 0, len}, g0);
        const auto [px, py] = text_windows(ids, windows, t);
        QVERIFY(torch::equal(cx, px) && torch::equal(cy, py));

        // Deletion: each window is an increasing run of text positions starting at its start,
        // the gaps are the deleted tokens, and about `rate` of the tokens go.
        auto g = gen(5);
        const auto [dx, dy] = noisy_text_windows(ids, windows, t, {0, 0.1, len}, g);
        QVERIFY(torch::equal(dx.narrow(1, 1, t - 1), dy.narrow(1, 0, t - 1)));
        int64_t gaps = 0, span = 0;
        for (int64_t w = 0; w < windows.numel(); ++w) {
            const auto row = torch::cat({dx[w], dy[w].narrow(0, t - 1, 1)});
            const auto d = row.narrow(0, 1, t) - row.narrow(0, 0, t);
            QVERIFY(d.min().item<int64_t>() >= 1);
            QVERIFY(row[0].item<int64_t>() >= w * t);
            gaps += (d - 1).sum().item<int64_t>() + (row[0].item<int64_t>() - w * t);
            span += row[t].item<int64_t>() - w * t + 1;
        }
        const double rate = static_cast<double>(gaps) / static_cast<double>(span);
        QVERIFY2(std::fabs(rate - 0.1) < 0.01, qPrintable(QString::number(rate)));
        // The last window cannot refill from beyond the text, so it stays within it.
        QVERIFY(dy.max().item<int64_t>() < len);

        // Substitution: inputs change at about rate * (1 - 1/vocab); targets never.
        const int64_t vocab = 50;
        const auto small = ids.remainder(vocab);
        auto g2 = gen(6);
        const auto [sx, sy] = noisy_text_windows(small, windows, t, {0.05, 0, vocab}, g2);
        const auto [ox, oy] = text_windows(small, windows, t);
        QVERIFY(torch::equal(sy, oy));
        const double changed = (sx != ox).to(torch::kFloat64).mean().item<double>();
        QVERIFY2(std::fabs(changed - 0.05 * 49 / 50) < 0.005, qPrintable(QString::number(changed)));
        QVERIFY(sx.max().item<int64_t>() < vocab && sx.min().item<int64_t>() >= 0);
    }

    void imageProxyIsInkPlusEdges() {
        auto x = torch::full({3, 1, 4, 4}, -1.0);
        x[1].fill_(0.0);                  // flat grey: ink 0.5, no edges
        x[2][0].select(1, 1).fill_(1.0);  // one white column
        const auto d = image_difficulty(x);
        QCOMPARE(d.scalar_type(), torch::kFloat64);
        QCOMPARE(d[0].item<double>(), 0.0);
        QVERIFY(std::fabs(d[1].item<double>() - 0.5) < 1e-12);
        // ink 4/16; horizontal differences: 2 of the 3 per row are 1 -> 8/12; vertical: 0.
        QVERIFY(std::fabs(d[2].item<double>() - (0.25 + 8.0 / 12)) < 1e-12);
    }

    void textProxyIsMeanSurprisal() {
        // "aaab" repeated: p(a) = 3/4, p(b) = 1/4.
        const auto ids = torch::tensor({0, 0, 0, 1, 0, 0, 0, 1, 0}, torch::kInt64);
        const double pa = 7.0 / 9, pb = 2.0 / 9;        // frequencies in this text
        const auto d = text_window_difficulty(ids, 4);  // windows [0..4], [4..8]
        QCOMPARE(d.numel(), int64_t{2});
        const double w0 = (-4 * std::log(pa) - std::log(pb)) / 5;  // a a a b a
        const double w1 = (-4 * std::log(pa) - std::log(pb)) / 5;  // a a a b a
        QVERIFY(std::fabs(d[0].item<double>() - w0) < 1e-12);
        QVERIFY(std::fabs(d[1].item<double>() - w1) < 1e-12);
        const auto rare = text_window_difficulty(torch::tensor({0, 0, 0, 0, 1, 2, 3, 0, 0}), 4);
        QVERIFY(rare[1].item<double>() > rare[0].item<double>());
    }
};

QTEST_GUILESS_MAIN(TestDataAugment)
#include "test_data_augment.moc"
