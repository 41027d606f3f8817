// The distillation loss (engine/train/distill.h) against a float64 computation written out by
// hand: T^2 x KL(softmax(t/T) || softmax(s/T)), averaged over the positions of each window.
#include <torch/torch.h>

#include <QtTest>

#include <cmath>
#include <vector>

#include "engine/train/distill.h"

using namespace wb::engine;

namespace {

std::vector<double> softmax(const std::vector<double>& z, double T) {
    double m = z[0];
    for (double v : z) m = std::max(m, v);
    std::vector<double> p;
    double sum = 0;
    for (double v : z) sum += std::exp((v - m) / T);
    for (double v : z) p.push_back(std::exp((v - m) / T) / sum);
    return p;
}

double kl(const std::vector<double>& t, const std::vector<double>& s, double T) {
    const auto pt = softmax(t, T), ps = softmax(s, T);
    double out = 0;
    for (size_t i = 0; i < pt.size(); ++i) out += pt[i] * (std::log(pt[i]) - std::log(ps[i]));
    return out;
}

}  // namespace

class TestDistill final : public QObject {
    Q_OBJECT

private slots:
    void kdLossIsTheHandComputedOne() {
        // 2 windows x 2 positions x 3 characters.
        const std::vector<std::vector<double>> s = {{1, 2, 3}, {0.5, -1, 2}, {0, 0, 0}, {3, 1, -2}};
        const std::vector<std::vector<double>> t = {{2, 1, 0}, {0.5, -1, 2}, {1, 2, 4}, {-1, 0, 5}};
        std::vector<float> sf, tf;
        for (size_t i = 0; i < s.size(); ++i)
            for (size_t j = 0; j < 3; ++j) {
                sf.push_back(static_cast<float>(s[i][j]));
                tf.push_back(static_cast<float>(t[i][j]));
            }
        const auto student = torch::tensor(sf).view({2, 2, 3});
        const auto teacher = torch::tensor(tf).view({2, 2, 3});
        for (double T : {1.0, 2.0, 4.0}) {
            const auto got = kd_loss(student, teacher, T);
            QCOMPARE(got.sizes().vec(), (std::vector<int64_t>{2}));
            for (int w = 0; w < 2; ++w) {
                const double want =
                    T * T * 0.5 * (kl(t[2 * w], s[2 * w], T) + kl(t[2 * w + 1], s[2 * w + 1], T));
                QVERIFY2(std::abs(got[w].item<double>() - want) < 1e-6 * std::max(1.0, want),
                         qPrintable(QString("T %1 window %2: %3, by hand %4")
                                        .arg(T)
                                        .arg(w)
                                        .arg(got[w].item<double>())
                                        .arg(want)));
            }
        }
        // Equal logits: nothing to learn; gradients flow into the student only.
        QVERIFY(kd_loss(teacher, teacher, 2.0).abs().max().item<double>() < 1e-6);
        auto st = student.clone().requires_grad_(true);
        kd_loss(st, teacher, 2.0).sum().backward();
        QVERIFY(st.grad().defined() && st.grad().abs().sum().item<double>() > 0);
        // Of the four positions only the second has the same most likely character.
        QCOMPARE(top1_agreement(student, teacher), 0.25);
    }
};

QTEST_APPLESS_MAIN(TestDistill)
#include "test_distill.moc"
