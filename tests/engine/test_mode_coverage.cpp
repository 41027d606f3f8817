// The mode-coverage kernel against hand-computed cases.
#include <QtTest>

#include <random>

#include "kernels/mode_coverage.h"

#if defined(WB_HAVE_CUDA_KERNELS)
#include <cuda_runtime.h>
#endif

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

    void cudaKernelMatchesTheCpuReference() {
#if defined(WB_HAVE_CUDA_KERNELS)
        if (!cuda_kernels_usable()) QSKIP("no CUDA device on this machine");
        std::mt19937 rng(3);
        std::normal_distribution<float> noise(0, 1.5f);
        std::vector<float> pts(2 * 100000), centers;
        for (auto& p : pts) p = noise(rng);
        for (int k = 0; k < 8; ++k)
            centers.insert(centers.end(), {float(std::cos(k)), float(std::sin(k))});
        float *dp = nullptr, *dc = nullptr;
        QCOMPARE(cudaMalloc(&dp, pts.size() * 4), cudaSuccess);
        QCOMPARE(cudaMalloc(&dc, centers.size() * 4), cudaSuccess);
        cudaMemcpy(dp, pts.data(), pts.size() * 4, cudaMemcpyHostToDevice);
        cudaMemcpy(dc, centers.data(), centers.size() * 4, cudaMemcpyHostToDevice);
        auto gpu = mode_coverage_cuda(dp, 100000, dc, 8, 0.3f);
        cudaFree(dp);
        cudaFree(dc);
        auto cpu = mode_coverage_cpu(pts.data(), 100000, centers.data(), 8, 0.3f);
        QCOMPARE(gpu.hq_per_mode, cpu.hq_per_mode);
        QVERIFY(cpu.hq_total > 1000);
#else
        QSKIP("built without nvcc");
#endif
    }
};

QTEST_GUILESS_MAIN(TestModeCoverage)
#include "test_mode_coverage.moc"
