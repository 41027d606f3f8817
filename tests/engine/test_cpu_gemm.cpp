// The oneDNN sgemm path for fully connected layers (train.cpu_gemm): forward and gradients equal
// LibTorch's linear to float rounding, the fallbacks take LibTorch's own path, and a GPT run
// trains the same with either choice.
#include <ATen/autocast_mode.h>

#include "engine/api/presets.h"
#include "engine/models/cpu_gemm.h"
#include "engine_test_util.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QTemporaryDir>
#include <QtTest>

using namespace wb;

namespace {

struct Grads {
    torch::Tensor y, dx, dw, db;
};

// y = linear(x, w, b) with the given choice, and the gradients of sum(y * r).
Grads run(models::CpuGemm gemm, const torch::Tensor& x0, const torch::Tensor& w0,
          const torch::Tensor& b0, const torch::Tensor& r) {
    models::set_cpu_gemm(gemm);
    auto x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
    torch::Tensor b = b0.defined() ? b0.clone().requires_grad_(true) : torch::Tensor();
    auto y = models::linear(x, w, b);
    (y * r).sum().backward();
    models::set_cpu_gemm(models::CpuGemm::Blas);
    return {y.detach(), x.grad(), w.grad(), b.defined() ? b.grad() : torch::Tensor()};
}

api::RunConfig tiny_gpt(const std::string& gemm) {
    api::RunConfig c = api::find_preset("gpt-char")->config;
    c.train.steps = 6;
    c.train.batch_size = 4;
    c.train.threads = 1;
    c.train.cpu_gemm = gemm;
    c.model.width = 32;
    c.model.layers = 2;
    c.model.context = 16;
    c.eval.every_steps = 0;
    c.sample.every_steps = 0;
    c.checkpoint.every_steps = 0;
    return c;
}

}  // namespace

class TestCpuGemm final : public QObject {
    Q_OBJECT

private slots:
    void matchesLibTorchLinear_data() {
        QTest::addColumn<bool>("bias");
        QTest::newRow("with bias") << true;
        QTest::newRow("without bias") << false;
    }
    void matchesLibTorchLinear() {
        if (!models::onednn_gemm_available()) QSKIP("built without oneDNN (libdnnl-dev)");
        QFETCH(bool, bias);
        torch::manual_seed(3);
        // [batch, time, in] as in the GPT, with sizes that are not multiples of a SIMD width.
        auto x = torch::randn({3, 7, 13}), w = torch::randn({11, 13});
        auto b = bias ? torch::randn({11}) : torch::Tensor();
        auto r = torch::randn({3, 7, 11});
        const Grads ref = run(models::CpuGemm::Blas, x, w, b, r);
        const Grads got = run(models::CpuGemm::OneDnn, x, w, b, r);
        QCOMPARE(got.y.sizes().vec(), (std::vector<int64_t>{3, 7, 11}));
        QVERIFY(torch::allclose(got.y, ref.y, 1e-5, 1e-5));
        QVERIFY(torch::allclose(got.dx, ref.dx, 1e-5, 1e-5));
        QVERIFY(torch::allclose(got.dw, ref.dw, 1e-5, 1e-5));
        if (bias)
            QVERIFY(torch::allclose(got.db, ref.db, 1e-5, 1e-5));
        else
            QVERIFY(!got.db.defined());
        // The other choice takes LibTorch's path: bit for bit F::linear.
        QVERIFY(torch::equal(ref.y, torch::nn::functional::linear(x, w, b)));
    }

    void oneRowLeavesTheBiasAlone() {
        if (!models::onednn_gemm_available()) QSKIP("built without oneDNN (libdnnl-dev)");
        // Sampling text feeds one position at a time: x [1, 1, in]. The product must not be
        // accumulated into the bias itself.
        auto x = torch::randn({1, 1, 6}), w = torch::randn({4, 6}), b = torch::randn({4});
        const auto b0 = b.clone();
        models::set_cpu_gemm(models::CpuGemm::OneDnn);
        torch::Tensor y;
        {
            torch::NoGradGuard no_grad;
            y = models::linear(x, w, b);
        }
        models::set_cpu_gemm(models::CpuGemm::Blas);
        QVERIFY(torch::equal(b, b0));
        QVERIFY(torch::allclose(y, torch::nn::functional::linear(x, w, b0), 1e-5, 1e-5));
    }

    void onlyTheNeededGradientsAreComputed() {
        if (!models::onednn_gemm_available()) QSKIP("built without oneDNN (libdnnl-dev)");
        models::set_cpu_gemm(models::CpuGemm::OneDnn);
        auto x = torch::randn({5, 4});  // data: no gradient
        auto w = torch::randn({3, 4}).requires_grad_(true);
        auto y = models::linear(x, w);
        y.sum().backward();
        models::set_cpu_gemm(models::CpuGemm::Blas);
        QVERIFY(!x.grad().defined());
        // d sum(x W^T) / dW = column sums of x, one row per output.
        QVERIFY(torch::allclose(w.grad(), x.sum(0).expand({3, 4}), 1e-5, 1e-5));
    }

    void autocastAndOtherDtypesUseLibTorch() {
        models::set_cpu_gemm(models::CpuGemm::OneDnn);
        auto x = torch::randn({4, 8}), w = torch::randn({2, 8});
        {
            at::autocast::set_cpu_enabled(true);
            auto y = models::linear(x, w);
            at::autocast::set_cpu_enabled(false);
            // LibTorch's autocast ran the product in bfloat16; oneDNN's fp32 path would not.
            QCOMPARE(y.scalar_type(), torch::kBFloat16);
        }
        auto yd = models::linear(x.to(torch::kFloat64), w.to(torch::kFloat64));
        models::set_cpu_gemm(models::CpuGemm::Blas);
        QCOMPARE(yd.scalar_type(), torch::kFloat64);
        QVERIFY(torch::allclose(yd, x.to(torch::kFloat64).mm(w.to(torch::kFloat64).t())));
    }

    void gptTrainsTheSameWithEitherChoice() {
        QTemporaryDir a, b;
        const auto blas = test::run_to_end(tiny_gpt("blas"), a.path().toStdString());
        const auto dnnl = test::run_to_end(tiny_gpt("onednn"), b.path().toStdString());
        QVERIFY2(blas.final_status == api::RunStatus::Completed, blas.message.c_str());
        QVERIFY2(dnnl.final_status == api::RunStatus::Completed, dnnl.message.c_str());
        const auto lb = blas.series("loss/train"), ld = dnnl.series("loss/train");
        QCOMPARE(lb.size(), std::size_t{6});
        QCOMPARE(ld.size(), lb.size());
        for (std::size_t i = 0; i < lb.size(); ++i)
            QVERIFY2(std::abs(lb[i] - ld[i]) < 1e-4,
                     qPrintable(QString("step %1: %2 vs %3").arg(i + 1).arg(lb[i]).arg(ld[i])));
        // The run log says which kernel it used.
        bool said = false;
        for (const auto& e : dnnl.events)
            if (e.kind == api::EventKind::Log &&
                e.payload.find(models::onednn_gemm_available()
                                   ? "oneDNN's sgemm"
                                   : "LibTorch's BLAS") != std::string::npos)
                said = true;
        QVERIFY(said);
    }

    void configRejectsUnknownChoice() {
        api::RunConfig c = tiny_gpt("onednn");
        std::vector<api::ConfigError> errors;
        c.set("train.cpu_gemm", "mkl", &errors);
        auto more = c.validate();
        errors.insert(errors.end(), more.begin(), more.end());
        QVERIFY(!errors.empty());
        QVERIFY(api::format_errors(errors).find("train.cpu_gemm") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestCpuGemm)
#include "test_cpu_gemm.moc"
