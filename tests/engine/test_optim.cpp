// AdaBelief, LAMB, the fused steps, the loss scaler, the LR schedule and gradient clipping,
// each against an independent float64 computation of its formulas.
#include <cmath>
#include <random>
#include <vector>

#include "engine/amp/loss_scaler.h"
#include "engine/optim/adabelief.h"
#include "engine/optim/fused_adam.h"
#include "engine/optim/lamb.h"
#include "engine/train/optimizers.h"
#include "kernels/fused_optim.h"

#include <QtTest>

using namespace wb;

namespace {

struct Hyper {
    double lr, b1, b2, eps, wd;
};

using Vec = std::vector<double>;

// Gradient of the test loss sum_i 0.5*c_i*(p_i - t_i)^2 + p_i^3/30 at p: different scales per
// element and a curvature that changes as p moves.
Vec grad_at(const Vec& p) {
    Vec g(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
        const double c = 0.1 + static_cast<double>(i % 7);
        const double t = std::sin(static_cast<double>(i));
        g[i] = c * (p[i] - t) + p[i] * p[i] / 10.0;
    }
    return g;
}

torch::Tensor to_tensor(const Vec& v) {
    return torch::tensor(v, torch::TensorOptions().dtype(torch::kFloat64));
}

Vec to_vec(const torch::Tensor& t) {
    auto c = t.detach().to(torch::kFloat64).contiguous();
    return Vec(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

Vec start_point(int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> d(0, 1);
    Vec p(static_cast<std::size_t>(n));
    for (auto& x : p) x = d(rng);
    return p;
}

// The AdaBelief formulas, element by element.
Vec adabelief_reference(Vec p, int steps, const Hyper& h) {
    Vec m(p.size(), 0), s(p.size(), 0);
    for (int t = 1; t <= steps; ++t) {
        const Vec g = grad_at(p);
        for (std::size_t i = 0; i < p.size(); ++i) {
            m[i] = h.b1 * m[i] + (1 - h.b1) * g[i];
            s[i] = h.b2 * s[i] + (1 - h.b2) * (g[i] - m[i]) * (g[i] - m[i]) + h.eps;
            const double m_hat = m[i] / (1 - std::pow(h.b1, t));
            const double s_hat = s[i] / (1 - std::pow(h.b2, t));
            if (h.wd > 0) p[i] -= h.lr * h.wd * p[i];
            p[i] -= h.lr * m_hat / (std::sqrt(s_hat) + h.eps);
        }
    }
    return p;
}

// The LAMB formulas; the whole vector is one tensor.
Vec lamb_reference(Vec p, int steps, const Hyper& h) {
    Vec m(p.size(), 0), v(p.size(), 0), u(p.size());
    for (int t = 1; t <= steps; ++t) {
        const Vec g = grad_at(p);
        double pn = 0, un = 0;
        for (std::size_t i = 0; i < p.size(); ++i) {
            m[i] = h.b1 * m[i] + (1 - h.b1) * g[i];
            v[i] = h.b2 * v[i] + (1 - h.b2) * g[i] * g[i];
            const double m_hat = m[i] / (1 - std::pow(h.b1, t));
            const double v_hat = v[i] / (1 - std::pow(h.b2, t));
            u[i] = m_hat / (std::sqrt(v_hat) + h.eps) + h.wd * p[i];
            pn += p[i] * p[i];
            un += u[i] * u[i];
        }
        const double r = pn > 0 && un > 0 ? std::sqrt(pn) / std::sqrt(un) : 1.0;
        for (std::size_t i = 0; i < p.size(); ++i) p[i] -= h.lr * r * u[i];
    }
    return p;
}

// Runs `steps` steps of `opt` on the test loss for the parameter `p`.
void descend(torch::optim::Optimizer& opt, torch::Tensor& p, int steps) {
    for (int t = 0; t < steps; ++t) {
        opt.zero_grad();
        p.mutable_grad() = to_tensor(grad_at(to_vec(p)));
        opt.step();
    }
}

double max_abs_diff(const Vec& a, const Vec& b) {
    double d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
    return d;
}

template <class Opt, class Options>
Vec run_optimizer(const Vec& start, int steps, const Hyper& h, bool fused) {
    auto p = to_tensor(start).requires_grad_(true);
    Opt opt({p}, Options(h.lr).betas({h.b1, h.b2}).eps(h.eps).weight_decay(h.wd));
    opt.set_fused(fused);
    descend(opt, p, steps);
    return to_vec(p);
}

}  // namespace

class TestOptim final : public QObject {
    Q_OBJECT

private slots:
    void adabeliefFollowsItsFormulas_data() {
        QTest::addColumn<double>("wd");
        QTest::addColumn<bool>("fused");
        QTest::newRow("no decay") << 0.0 << false;
        QTest::newRow("decoupled decay") << 0.1 << false;
        QTest::newRow("fused, decay") << 0.1 << true;
    }
    void adabeliefFollowsItsFormulas() {
        QFETCH(double, wd);
        QFETCH(bool, fused);
        const Hyper h{1e-2, 0.9, 0.999, 1e-16, wd};
        const Vec start = start_point(300, 1);
        const Vec ref = adabelief_reference(start, 50, h);
        const Vec got =
            run_optimizer<optim::AdaBelief, optim::AdaBeliefOptions>(start, 50, h, fused);
        QVERIFY2(max_abs_diff(ref, got) < 1e-12,
                 qPrintable(QString::number(max_abs_diff(ref, got))));
        QVERIFY(max_abs_diff(ref, start) > 0.1);  // it did move
    }

    void lambFollowsItsFormulas_data() {
        QTest::addColumn<double>("wd");
        QTest::addColumn<bool>("fused");
        QTest::newRow("no decay") << 0.0 << false;
        QTest::newRow("decay") << 0.01 << false;
        QTest::newRow("fused, decay") << 0.01 << true;
    }
    void lambFollowsItsFormulas() {
        QFETCH(double, wd);
        QFETCH(bool, fused);
        const Hyper h{1e-2, 0.9, 0.999, 1e-6, wd};
        // 70000 elements: the fused CPU path splits the tensor into chunks whose sums must
        // add up to the whole-tensor norms.
        const Vec start = start_point(70000, 2);
        const Vec ref = lamb_reference(start, 20, h);
        const Vec got = run_optimizer<optim::Lamb, optim::LambOptions>(start, 20, h, fused);
        QVERIFY2(max_abs_diff(ref, got) < 1e-12,
                 qPrintable(QString::number(max_abs_diff(ref, got))));
        QVERIFY(max_abs_diff(ref, start) > 0.01);
    }

    void lambTrustRatioIsOneForAZeroTensor() {
        // ||p|| = 0: r = 1, so the first step is exactly lr * u.
        const Hyper h{0.5, 0.9, 0.999, 1e-6, 0};
        const Vec zero(5, 0.0);
        const Vec ref = lamb_reference(zero, 1, h);
        const Vec got = run_optimizer<optim::Lamb, optim::LambOptions>(zero, 1, h, false);
        QVERIFY(max_abs_diff(ref, got) < 1e-15);
        // u = m_hat / (sqrt(v_hat) + eps) = sign(g) (1 - eps/|g|...) on the first step.
        const Vec g = grad_at(zero);
        for (std::size_t i = 0; i < g.size(); ++i)
            QVERIFY(std::fabs(got[i] + 0.5 * g[i] / (std::fabs(g[i]) + 1e-6)) < 1e-12);
    }

    void fusedAdamEqualsLibTorch_data() {
        QTest::addColumn<bool>("adamw");
        QTest::addColumn<double>("wd");
        QTest::newRow("adam") << false << 0.0;
        QTest::newRow("adam, L2 decay") << false << 0.05;
        QTest::newRow("adamw, decay") << true << 0.05;
    }
    void fusedAdamEqualsLibTorch() {
        QFETCH(bool, adamw);
        QFETCH(double, wd);
        const Vec start = start_point(1000, 3);
        auto a = to_tensor(start).requires_grad_(true);
        auto b = to_tensor(start).requires_grad_(true);
        std::unique_ptr<torch::optim::Optimizer> plain, fused;
        if (adamw) {
            auto o = torch::optim::AdamWOptions(1e-2).betas({0.5, 0.99}).weight_decay(wd);
            plain = std::make_unique<torch::optim::AdamW>(std::vector<torch::Tensor>{a}, o);
            fused = std::make_unique<optim::FusedAdamW>(std::vector<torch::Tensor>{b}, o);
        } else {
            auto o = torch::optim::AdamOptions(1e-2).betas({0.5, 0.99}).weight_decay(wd);
            plain = std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{a}, o);
            fused = std::make_unique<optim::FusedAdam>(std::vector<torch::Tensor>{b}, o);
        }
        descend(*plain, a, 40);
        descend(*fused, b, 40);
        QVERIFY(max_abs_diff(to_vec(a), to_vec(b)) < 1e-12);
        QVERIFY(max_abs_diff(to_vec(a), start) > 0.1);
    }

    void fusedFloat32MatchesPerOpToRoundOff() {
        const Vec start = start_point(5000, 4);
        auto a = to_tensor(start).to(torch::kFloat32).requires_grad_(true);
        auto b = to_tensor(start).to(torch::kFloat32).requires_grad_(true);
        optim::AdaBelief plain({a}, optim::AdaBeliefOptions(1e-2).weight_decay(0.1));
        optim::AdaBelief fused({b}, optim::AdaBeliefOptions(1e-2).weight_decay(0.1));
        fused.set_fused(true);
        for (int t = 0; t < 20; ++t) {
            for (auto* p : {&a, &b})
                p->mutable_grad() = to_tensor(grad_at(to_vec(a))).to(torch::kFloat32);
            plain.step();
            fused.step();
        }
        QVERIFY(max_abs_diff(to_vec(a), to_vec(b)) < 1e-5);
    }

    void optimizerStateSurvivesSaveAndLoad() {
        const Hyper h{1e-2, 0.9, 0.999, 1e-6, 0.01};
        const Vec start = start_point(100, 5);
        auto p = to_tensor(start).requires_grad_(true);
        optim::Lamb opt({p}, optim::LambOptions(h.lr).weight_decay(h.wd));
        descend(opt, p, 10);
        torch::serialize::OutputArchive out;
        opt.save(out);
        std::ostringstream bytes;
        out.save_to(bytes);

        auto q = p.detach().clone().requires_grad_(true);
        optim::Lamb restored({q}, optim::LambOptions(h.lr).weight_decay(h.wd));
        torch::serialize::InputArchive in;
        std::istringstream is(bytes.str());
        in.load_from(is);
        restored.load(in);
        descend(opt, p, 10);
        descend(restored, q, 10);
        QCOMPARE(max_abs_diff(to_vec(p), to_vec(q)), 0.0);
        // Without the state the steps differ (bias correction restarts at t = 1).
        auto r = to_tensor(to_vec(q)).requires_grad_(true);
        optim::Lamb fresh({r}, optim::LambOptions(h.lr).weight_decay(h.wd));
        descend(fresh, r, 1);
        descend(restored, q, 1);
        QVERIFY(max_abs_diff(to_vec(q), to_vec(r)) > 1e-6);
    }

    void lossScalerGrowsBacksOffAndSkips() {
        amp::LossScalerOptions o;
        o.growth_interval = 3;
        amp::LossScaler scaler(o);
        QCOMPARE(scaler.scale_value(), 65536.0);
        auto w = torch::tensor({1.0, -2.0}, torch::kFloat64).requires_grad_(true);
        torch::optim::SGD sgd({w}, torch::optim::SGDOptions(0.1));
        const auto loss_of = [&] { return (w * torch::tensor({3.0, 4.0}, torch::kFloat64)).sum(); };

        const std::vector<double> expected_scale = {65536, 65536, 131072, 131072, 131072, 262144};
        for (int it = 0; it < 6; ++it) {
            sgd.zero_grad();
            const auto loss = scaler.scale(loss_of());
            QCOMPARE(loss.item<double>(), loss_of().item<double>() * scaler.scale_value());
            loss.backward();
            QCOMPARE(w.grad()[0].item<double>(), 3.0 * scaler.scale_value());
            const double norm = scaler.unscale(sgd);
            QCOMPARE(norm, 5.0);  // |(3, 4)| after unscaling
            QCOMPARE(w.grad()[1].item<double>(), 4.0);
            QVERIFY_EXCEPTION_THROWN(scaler.unscale(sgd), std::logic_error);
            QVERIFY(scaler.step(sgd));
            scaler.update();
            QCOMPARE(scaler.scale_value(), expected_scale[static_cast<std::size_t>(it)]);
        }
        QCOMPARE(scaler.growth_tracker(), int64_t{0});

        // An inf gradient: no step, scale halved, tracker reset.
        const auto before = w.detach().clone();
        sgd.zero_grad();
        scaler.scale(loss_of()).backward();
        w.mutable_grad()[0] = std::numeric_limits<double>::infinity();
        QVERIFY(!scaler.step(sgd));
        QVERIFY(torch::equal(w.detach(), before));
        scaler.update();
        QCOMPARE(scaler.scale_value(), 131072.0);
        QCOMPARE(scaler.skipped_steps(), int64_t{1});
        // A NaN the same way.
        sgd.zero_grad();
        scaler.scale(loss_of()).backward();
        w.mutable_grad()[1] = std::nan("");
        QVERIFY(std::isnan(scaler.unscale(sgd)));
        QVERIFY(!scaler.step(sgd));
        scaler.update();
        QCOMPARE(scaler.scale_value(), 65536.0);
        // Two clean iterations then growth needs the full interval again.
        for (int it = 0; it < 2; ++it) {
            sgd.zero_grad();
            scaler.scale(loss_of()).backward();
            QVERIFY(scaler.step(sgd));
            scaler.update();
        }
        QCOMPARE(scaler.growth_tracker(), int64_t{2});
        QCOMPARE(scaler.scale_value(), 65536.0);

        amp::LossScaler copy(o);
        copy.load_state(scaler.state());
        QCOMPARE(copy.scale_value(), scaler.scale_value());
        QCOMPARE(copy.growth_tracker(), int64_t{2});
        QCOMPARE(copy.skipped_steps(), int64_t{2});
        QVERIFY_EXCEPTION_THROWN(copy.load_state("{\"scale\": -1}"), std::runtime_error);
    }

    void disabledScalerPassesThrough() {
        amp::LossScalerOptions o;
        o.enabled = false;
        amp::LossScaler scaler(o);
        auto w = torch::tensor({1.0}, torch::kFloat64).requires_grad_(true);
        torch::optim::SGD sgd({w}, torch::optim::SGDOptions(1.0));
        const auto loss = (w * 2).sum();
        QCOMPARE(scaler.scale(loss).item<double>(), 2.0);
        scaler.scale(loss).backward();
        QVERIFY(scaler.step(sgd));
        QCOMPARE(w.item<double>(), -1.0);
        scaler.update();
        QCOMPARE(scaler.scale_value(), 1.0);
    }

    void scheduleWarmsUpThenDecays() {
        api::OptimConfig c;
        c.lr = 0.1;
        c.warmup_steps = 10;
        QCOMPARE(engine::scheduled_lr(c, 0, 100), 0.01);
        QCOMPARE(engine::scheduled_lr(c, 4, 100), 0.05);
        QCOMPARE(engine::scheduled_lr(c, 9, 100), 0.1);
        QCOMPARE(engine::scheduled_lr(c, 50, 100), 0.1);  // constant after warm-up
        c.schedule = "cosine";
        QCOMPARE(engine::scheduled_lr(c, 10, 100), 0.1);
        QVERIFY(std::fabs(engine::scheduled_lr(c, 55, 100) - 0.05) < 1e-15);  // half-way
        QVERIFY(std::fabs(engine::scheduled_lr(c, 40, 100) -
                          0.05 * (1 + std::cos(M_PI * 30.0 / 90.0))) < 1e-15);
        QVERIFY(engine::scheduled_lr(c, 99, 100) < 1e-4);
    }

    void clippingLimitsTheGlobalNorm() {
        api::OptimConfig c;
        c.name = "sgd";
        c.momentum = 0;
        c.lr = 1.0;
        c.grad_clip = 1.0;
        amp::LossScaler scaler(amp::LossScalerOptions{1, 2, 0.5, 1, false});
        auto a = torch::tensor({0.0, 0.0}, torch::kFloat64).requires_grad_(true);
        auto b = torch::tensor({0.0}, torch::kFloat64).requires_grad_(true);
        engine::OptimizerStep step("", {a, b}, c, scaler);
        // Gradients (3, 4) and (12): global norm 13, clipped to 1.
        const auto loss = (a * torch::tensor({3.0, 4.0}, torch::kFloat64)).sum() + 12 * b.sum();
        QVERIFY(step.run(loss));
        QCOMPARE(step.last_grad_norm(), 13.0);
        QVERIFY(std::fabs(amp::grad_norm(step.optimizer()) - 1.0) < 1e-6);
        QVERIFY(std::fabs(a[1].item<double>() + 4.0 / 13.0) < 1e-6);
        QVERIFY(std::fabs(b[0].item<double>() + 12.0 / 13.0) < 1e-6);
    }

    void gradNormIsComputedOnlyWhenAskedOrNeeded() {
        api::OptimConfig c;
        c.name = "sgd";
        c.momentum = 0;
        c.lr = 0.5;
        amp::LossScaler scaler(amp::LossScalerOptions{1, 2, 0.5, 1, false});
        auto a = torch::tensor({1.0, 1.0}, torch::kFloat64).requires_grad_(true);
        engine::OptimizerStep step("", {a}, c, scaler);
        const auto w = torch::tensor({3.0, 4.0}, torch::kFloat64);
        QVERIFY(step.run((a * w).sum()));  // asked by default: |(3, 4)| = 5
        QVERIFY(step.grad_norm_measured());
        QCOMPARE(step.last_grad_norm(), 5.0);
        step.measure_grad_norm(false);
        QVERIFY(step.run((a * 2 * w).sum()));  // not asked, no clipping, no fp16: skipped...
        QVERIFY(!step.grad_norm_measured());
        // ...but the step is taken on freshly zeroed gradients: 1 - 0.5*3 - 0.5*6, 1 - 2 - 4.
        QCOMPARE(a[0].item<double>(), 1.0 - 1.5 - 3.0);
        QCOMPARE(a[1].item<double>(), 1.0 - 2.0 - 4.0);
        // Clipping needs the norm whatever was asked.
        c.grad_clip = 100;
        engine::OptimizerStep clipped("", {a}, c, scaler);
        clipped.measure_grad_norm(false);
        QVERIFY(clipped.run((a * w).sum()));
        QVERIFY(clipped.grad_norm_measured());
        QCOMPARE(clipped.last_grad_norm(), 5.0);
    }

    void fusedCpuLoopEqualsTheFormulaOnRawPointers() {
        // The kernels' CPU reference directly: one Adam step on two elements by hand.
        std::vector<double> p = {1.0, -1.0}, g = {0.5, 2.0}, m = {0, 0}, v = {0, 0};
        kernels::FusedHyper h;
        h.kind = kernels::FusedKind::Adam;
        h.lr = 0.1;
        kernels::fused_elementwise_cpu<double>(p.data(), g.data(), m.data(), v.data(), 2, h);
        // Step 1: m_hat = g, v_hat = g^2, so p -= lr * g / (|g| + eps).
        QVERIFY(std::fabs(p[0] - (1.0 - 0.1 * 0.5 / (0.5 + 1e-8))) < 1e-15);
        QVERIFY(std::fabs(p[1] - (-1.0 - 0.1 * 2.0 / (2.0 + 1e-8))) < 1e-15);
        QVERIFY(std::fabs(m[1] - 0.2) < 1e-15);
        QVERIFY(std::fabs(v[1] - 0.004) < 1e-15);
    }
};

QTEST_GUILESS_MAIN(TestOptim)
#include "test_optim.moc"
