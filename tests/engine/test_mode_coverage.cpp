// The mode-coverage kernel against hand-computed cases.
#include <QtTest>

#include "kernels/mode_coverage.h"

using namespace wb::kernels;

class TestModeCoverage final : public QObject {
    Q_OBJECT

private slots:
    void countsPointsNearTheirNearestMode() {
        const float centers[] = {0, 0, 10, 0};
        // Two points at mode 0, one near mode 1, one far from both.
        const float pts[] = {0.1f, 0, -0.2f, 0.1f, 9.8f, 0, 5, 5};
        auto c = mode_coverage_cpu(pts, 4, centers, 2, 0.5f);
        QCOMPARE(c.hq_per_mode, (std::vector<int64_t>{2, 1}));
        QCOMPARE(c.hq_total, int64_t{3});
        QCOMPARE(c.points, int64_t{4});
        QCOMPARE(covered_modes(c, 0.25), int64_t{2});  // 1 of 4 points is 25%
        QCOMPARE(covered_modes(c, 0.3), int64_t{1});
    }

    void collapsedGeneratorCoversOneMode() {
        std::vector<float> centers, pts;
        for (int k = 0; k < 8; ++k) {
            centers.push_back(2 * std::cos(k * M_PI / 4));
            centers.push_back(2 * std::sin(k * M_PI / 4));
        }
        for (int i = 0; i < 2500; ++i) pts.insert(pts.end(), {2.0f, 0.01f});
        auto c = mode_coverage_cpu(pts.data(), 2500, centers.data(), 8, 0.15f);
        QCOMPARE(covered_modes(c), int64_t{1});
        QCOMPARE(c.hq_total, int64_t{2500});
    }
};

QTEST_GUILESS_MAIN(TestModeCoverage)
#include "test_mode_coverage.moc"
