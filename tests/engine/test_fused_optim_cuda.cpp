// The CUDA multi-tensor optimizer kernels against their CPU references (kernels/fused_optim.h).
// Compiled wherever nvcc is found; the comparisons run only where a CUDA device is present.
#include <QtTest>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/fused_optim.h"

#if defined(WB_HAVE_CUDA_KERNELS)
#include <cuda_runtime.h>
#endif

using namespace wb::kernels;

class TestFusedOptimCuda final : public QObject {
    Q_OBJECT

private slots:
    void kernelsMatchTheCpuReference_data() {
        QTest::addColumn<int>("kind");
        QTest::newRow("adam") << static_cast<int>(FusedKind::Adam);
        QTest::newRow("adamw") << static_cast<int>(FusedKind::AdamW);
        QTest::newRow("adabelief") << static_cast<int>(FusedKind::AdaBelief);
        QTest::newRow("lamb") << static_cast<int>(FusedKind::Lamb);
    }
    void kernelsMatchTheCpuReference() {
#if defined(WB_HAVE_CUDA_KERNELS)
        int devices = 0;
        if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0)
            QSKIP("no CUDA device on this machine");
        QFETCH(int, kind);
        FusedHyper h;
        h.kind = static_cast<FusedKind>(kind);
        h.lr = 1e-2;
        h.weight_decay = 0.01;
        h.eps = h.kind == FusedKind::Lamb ? 1e-6 : 1e-8;
        // 50 tensors (more than one launch's 36 slots) of varied sizes, one of them larger than
        // one launch's 300 chunks of 65536 elements, one empty.
        std::vector<int64_t> sizes;
        for (int i = 0; i < 48; ++i) sizes.push_back(1 + 997 * i);
        sizes.push_back(0);
        sizes.push_back(int64_t{301} * 65536 + 5);
        std::mt19937 rng(7);
        std::normal_distribution<float> d(0, 1);
        struct Host {
            std::vector<float> p, g, m, v;
        };
        std::vector<Host> cpu(sizes.size());
        std::vector<DeviceTensor> dev(sizes.size());
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            auto& t = cpu[i];
            const auto n = static_cast<std::size_t>(sizes[i]);
            for (auto* vec : {&t.p, &t.g, &t.m, &t.v}) {
                vec->resize(n);
                for (auto& x : *vec) x = d(rng);
            }
            for (auto& x : t.v) x = std::fabs(x);
            float* bufs[4] = {};
            for (int k = 0; k < 4; ++k) {
                QCOMPARE(cudaMalloc(&bufs[k], std::max<std::size_t>(1, n) * 4), cudaSuccess);
                const auto& src = k == 0 ? t.p : k == 1 ? t.g : k == 2 ? t.m : t.v;
                cudaMemcpy(bufs[k], src.data(), n * 4, cudaMemcpyHostToDevice);
            }
            dev[i] = {bufs[0], bufs[1], bufs[2], bufs[3], sizes[i]};
        }
        for (int step = 1; step <= 3; ++step) {
            h.step = step;
            fused_step_cuda(dev, h);
            for (auto& t : cpu) {
                const auto n = static_cast<int64_t>(t.p.size());
                if (h.kind == FusedKind::Lamb) {
                    double ps = 0, us = 0;
                    lamb_moments_cpu<float>(t.p.data(), t.g.data(), t.m.data(), t.v.data(), n, h,
                                            &ps, &us);
                    lamb_apply_cpu<float>(t.p.data(), t.m.data(), t.v.data(), n, h,
                                          lamb_trust_ratio(ps, us));
                } else {
                    fused_elementwise_cpu<float>(t.p.data(), t.g.data(), t.m.data(), t.v.data(), n,
                                                 h);
                }
            }
        }
        QCOMPARE(cudaDeviceSynchronize(), cudaSuccess);
        double worst = 0;
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            std::vector<float> p(cpu[i].p.size()), m(p.size());
            cudaMemcpy(p.data(), dev[i].p, p.size() * 4, cudaMemcpyDeviceToHost);
            cudaMemcpy(m.data(), dev[i].m, m.size() * 4, cudaMemcpyDeviceToHost);
            for (std::size_t k = 0; k < p.size(); ++k) {
                worst = std::max(worst, static_cast<double>(std::fabs(p[k] - cpu[i].p[k])));
                worst = std::max(worst, static_cast<double>(std::fabs(m[k] - cpu[i].m[k])));
            }
            for (void* b :
                 {static_cast<void*>(dev[i].p), static_cast<void*>(const_cast<float*>(dev[i].g)),
                  static_cast<void*>(dev[i].m), static_cast<void*>(dev[i].v)})
                cudaFree(b);
        }
        QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
#else
        QSKIP("built without nvcc");
#endif
    }
};

QTEST_GUILESS_MAIN(TestFusedOptimCuda)
#include "test_fused_optim_cuda.moc"
