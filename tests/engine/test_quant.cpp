// INT8 post-training quantization: the int8 linear layer against fp32 within the error its
// scales allow, the int8 GPT against the fp32 one, and its file round trip.
#include <cmath>

#include "engine/models/gpt.h"
#include "engine/quant/int8_linear.h"
#include "engine/quant/quantized_gpt.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QtTest>

using namespace wb;
namespace quant = wb::engine::quant;

namespace {

// A trained-looking GPT: random init is std 0.02 (near-uniform logits), so scale the weights up
// until the logits spread over several nats and the comparison means something.
models::Gpt spread_gpt(api::AttentionPattern pattern) {
    torch::manual_seed(7);
    models::Gpt gpt(models::GptOptions(40, 32, 64, 2, 4).attention(pattern));
    torch::NoGradGuard no_grad;
    for (auto& p : gpt->named_parameters())
        if (p.key().find("ln") == std::string::npos) p.value().normal_(0.0, 0.15);
    gpt->eval();
    return gpt;
}

}  // namespace

class TestQuant final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        if (quant::backend_name().empty()) QSKIP("this LibTorch has no quantization engine");
    }

    void weightsArePerRowSymmetric() {
        auto w = torch::tensor({{1.0f, -0.3f, 0.25f}, {0.0f, 0.0f, 0.0f}, {-2.0f, 1.0f, 0.1f}});
        const auto q = quant::quantize_weights(w);
        QCOMPARE(q.values.scalar_type(), torch::kInt8);
        QCOMPARE(q.scales[0].item<float>(), 1.0f / 127);
        QCOMPARE(q.scales[1].item<float>(), 1.0f);  // a row of zeros keeps a usable scale
        QCOMPARE(q.scales[2].item<float>(), 2.0f / 127);
        QCOMPARE(q.values[0][0].item<int>(), 127);
        QCOMPARE(q.values[0][1].item<int>(), -38);  // -38.1
        QCOMPARE(q.values[0][2].item<int>(), 32);   // 31.75
        QCOMPARE(q.values[2][0].item<int>(), -127);
        QVERIFY((quant::dequantize(q) - w)
                    .abs()
                    .le(q.scales.unsqueeze(1) / 2 + 1e-7)
                    .all()
                    .item<bool>());
    }

    // Exact decomposition: y - y_ref = sum_k Wq (xq - x) + (Wq - W) x, with |Wq - W| <= s_n / 2
    // per row and |xq - x| <= a, one activation step (half a step of rounding; a zero point's
    // rounding can clamp at most half a step). Wrong int16 saturation (see activation_levels)
    // breaks this bound by far.
    void int8LinearIsWithinItsQuantizationBound() {
        torch::manual_seed(3);
        const int64_t M = 48, K = 256, N = 96;
        auto w = torch::randn({N, K}) * 0.1;
        auto b = torch::randn({N});
        auto x = torch::randn({M, K}) * 2 + 0.3;
        const auto q = quant::quantize_weights(w, b);
        quant::Int8Linear layer(q);
        auto y = layer.forward(x).to(torch::kDouble);
        auto xd = x.to(torch::kDouble), wd = w.to(torch::kDouble);
        auto y_ref = xd.matmul(wd.t()) + b.to(torch::kDouble);
        auto err = (y - y_ref).abs();

        const double a =
            (std::max(0.0, x.max().item<double>()) - std::min(0.0, x.min().item<double>())) /
            static_cast<double>(quant::activation_levels() - 1);
        auto wq = quant::dequantize(q).to(torch::kDouble);
        auto s = q.scales.to(torch::kDouble);
        auto bound = a * wq.abs().sum(1).unsqueeze(0) +
                     (s / 2).unsqueeze(0) * xd.abs().sum(1).unsqueeze(1) + 1e-4 * y_ref.abs() +
                     1e-5;
        QVERIFY2(
            (err <= bound).all().item<bool>(),
            qPrintable(QString("worst error / bound %1").arg((err / bound).max().item<double>())));

        // Rounding errors are roughly uniform and independent, so the typical error is
        // sqrt(sum of variances): a real int8 computation lands near it, an fp32 one far below.
        auto variance = (a * a / 12) * wq.pow(2).sum(1).unsqueeze(0) +
                        (s * s / 12).unsqueeze(0) * xd.pow(2).sum(1).unsqueeze(1);
        const double rms = err.pow(2).mean().sqrt().item<double>();
        const double expected = variance.mean().sqrt().item<double>();
        QVERIFY2(rms > 0.3 * expected && rms < 2.0 * expected,
                 qPrintable(QString("rms error %1, expected about %2").arg(rms).arg(expected)));
        QVERIFY(err.max().item<double>() > 1e-3);  // not trivially exact

        // Any leading shape: [2, 24, K] gives the same rows.
        auto y3 = layer.forward(x.view({2, 24, K}));
        QCOMPARE(y3.sizes().vec(), (std::vector<int64_t>{2, 24, N}));
        QVERIFY(torch::allclose(y3.view({M, N}), y.to(torch::kFloat32), 1e-5, 1e-5));
        QCOMPARE(layer.bytes(), N * K + N * 4 + N * 4);
    }

    void quantizedGptIsCloseToFp32_data() {
        QTest::addColumn<int>("kind");
        QTest::newRow("dense") << static_cast<int>(api::AttentionPattern::Kind::Dense);
        QTest::newRow("window") << static_cast<int>(api::AttentionPattern::Kind::Window);
    }

    void quantizedGptIsCloseToFp32() {
        QFETCH(int, kind);
        api::AttentionPattern pattern;
        pattern.kind = static_cast<api::AttentionPattern::Kind>(kind);
        pattern.window = 8;
        auto gpt = spread_gpt(pattern);
        const quant::QuantizedGpt q(*gpt);
        QCOMPARE(q.layers(), int64_t{2});
        auto ids = torch::randint(40, {4, 32});
        torch::NoGradGuard no_grad;
        auto ref = gpt->forward(ids), got = q.forward(ids);
        QCOMPARE(got.sizes().vec(), ref.sizes().vec());
        QVERIFY2(ref.std().item<double>() > 1.0, "the logits spread over several nats");
        const double rel = ((got - ref).norm() / ref.norm()).item<double>();
        const double agree =
            (got.argmax(-1) == ref.argmax(-1)).to(torch::kDouble).mean().item<double>();
        // About 6% here (7-bit activations on AVX2, weights of std 0.15 in every layer); the
        // trained model's loss/val is the real yardstick (test_cli_quantize, README).
        QVERIFY2(rel < 0.1 && rel > 1e-5, qPrintable(QString("relative error %1").arg(rel)));
        QVERIFY2(agree > 0.9, qPrintable(QString("top-1 agreement %1").arg(agree)));
        // Shorter windows than the context, as generation uses (other activation ranges, so
        // other rounding: close to fp32, not equal to the longer window's prefix).
        auto short_ref = ref.narrow(1, 0, 5);
        const double short_rel =
            ((q.forward(ids.narrow(1, 0, 5)) - short_ref).norm() / short_ref.norm()).item<double>();
        QVERIFY2(short_rel < 0.1, qPrintable(QString("relative error %1").arg(short_rel)));
    }

    void savedModelLoadsWithIdenticalLogits() {
        api::AttentionPattern pattern;
        pattern.kind = api::AttentionPattern::Kind::Window;
        pattern.window = 8;
        auto gpt = spread_gpt(pattern);
        const quant::QuantizedGpt q(*gpt);
        QTemporaryDir dir;
        const auto path = dir.filePath("gpt.int8").toStdString();
        q.save(path);
        QCOMPARE(static_cast<int64_t>(QFileInfo(QString::fromStdString(path)).size()),
                 q.file_bytes());
        const auto back = quant::QuantizedGpt::load(path);
        QCOMPARE(back.vocab(), int64_t{40});
        QCOMPARE(back.context(), int64_t{32});
        QCOMPARE(back.width(), int64_t{64});
        auto ids = torch::randint(40, {3, 32});
        QVERIFY(torch::equal(back.forward(ids), q.forward(ids)));
        // Four bytes per fp32 weight become about one.
        int64_t fp32_bytes = 0;
        for (const auto& p : gpt->parameters()) fp32_bytes += p.numel() * 4;
        QVERIFY2(q.file_bytes() * 2 < fp32_bytes, qPrintable(QString::number(q.file_bytes())));
    }

    void loadNamesTheProblem() {
        QTemporaryDir dir;
        const auto other = dir.filePath("other.pt").toStdString();
        torch::serialize::OutputArchive ar;
        ar.write("x", torch::zeros({2}), true);
        ar.save_to(other);
        try {
            quant::QuantizedGpt::load(other);
            QFAIL("loaded a file that is no int8 GPT");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(other)), e.what());
            QVERIFY2(QString(e.what()).contains("not an int8 GPT"), e.what());
        }
        const auto missing = dir.filePath("missing.int8").toStdString();
        try {
            quant::QuantizedGpt::load(missing);
            QFAIL("loaded a missing file");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(missing)), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestQuant)
#include "test_quant.moc"
