// The GAN controls: losses and gradient penalty by hand, the D/G ratio schedule, the progressive
// phase schedule, DiffAugment's deterministic parts, and short ProGAN runs through the engine.
#include "engine/api/presets.h"
#include "engine/train/diff_augment.h"
#include "engine/train/gan_losses.h"
#include "engine/train/gan_schedule.h"
#include "engine_test_util.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace wb;
using namespace wb::engine;

namespace {

api::RunConfig tiny_progan() {
    api::RunConfig c = api::find_preset("progan-fashion")->config;
    c.model.width = 4;
    c.model.latent_dim = 8;
    c.train.batch_size = 8;
    c.train.threads = 1;
    c.progressive.stable_images = 16;  // 2 steps per stable phase
    c.progressive.fade_images = 32;    // 4 steps per fade
    c.train.steps = 4 * 2 + 3 * 4 + 2;
    c.eval.fid = false;
    c.eval.every_steps = 0;
    c.sample.every_steps = 0;
    c.checkpoint.every_steps = 0;
    return c;
}

}  // namespace

class TestGanToolkit final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void lossesByHand() {
        auto real = torch::tensor({0.5, 2.0}), fake = torch::tensor({-2.0, 0.0});
        // Hinge: relu(1 - 0.5) + relu(1 - 2) averaged, plus relu(1 - 2) and relu(1 + 0).
        QCOMPARE(discriminator_loss(GanLoss::Hinge, real, fake).item<double>(), 0.25 + 0.5);
        QCOMPARE(generator_loss(GanLoss::Hinge, fake).item<double>(), 1.0);
        // WGAN: mean fake - mean real + drift 1e-3 * mean real^2.
        QVERIFY(std::abs(discriminator_loss(GanLoss::WganGp, real, fake).item<double>() -
                         (-1.0 - 1.25 + kWganDrift * (0.25 + 4.0) / 2)) < 1e-6);
        // Non-saturating at logits 0: log 2 for each side.
        auto zero = torch::zeros({3}, torch::kFloat64);
        QVERIFY(std::abs(discriminator_loss(GanLoss::NonSaturating, zero, zero).item<double>() -
                         2 * std::log(2.0)) < 1e-12);
        // Importance weights scale each real term: hinge with weights (2, 0) counts only the first.
        auto w = torch::tensor({2.0, 0.0});
        QCOMPARE(discriminator_loss(GanLoss::Hinge, real, fake, w).item<double>(),
                 (2 * 0.5 + 0) / 2 + 0.5);
        QVERIFY(std::abs(discriminator_loss(GanLoss::WganGp, real, fake, w).item<double>() -
                         (-1.0 + (2 * (kWganDrift * 0.25 - 0.5)) / 2)) < 1e-6);
        // The sampler's difficulty is >= 0 for every loss: softplus(-score), hinge's own term.
        QVERIFY(std::abs(real_difficulty(GanLoss::WganGp, real)[1].item<double>() -
                         std::log1p(std::exp(-2.0))) < 1e-6);
        QCOMPARE(real_difficulty(GanLoss::Hinge, real)[0].item<double>(), 0.5);
        QCOMPARE(real_difficulty(GanLoss::Hinge, real)[1].item<double>(), 0.0);
        QCOMPARE(discriminator_accuracy(real, fake), 0.75);  // 2/2 real right, 1/2 fake right
        QVERIFY_EXCEPTION_THROWN(gan_loss_from("lsgan"), std::invalid_argument);
    }

    void gradientPenaltyOfALinearCritic() {
        // D(x) = sum(c * x) has gradient c everywhere: penalty (|c| - 1)^2 with |c| = 3 -> 4.
        auto c = torch::full({1, 1, 3, 3}, 1.0, torch::kFloat64);  // |c| = sqrt(9) = 3
        auto d = [&c](const torch::Tensor& x) { return (x * c).sum({1, 2, 3}); };
        auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
        auto real = torch::randn({4, 1, 3, 3}, torch::kFloat64);
        auto fake = torch::randn({4, 1, 3, 3}, torch::kFloat64);
        QVERIFY(std::abs(gradient_penalty(d, real, fake, 1, gen).item<double>() - 4.0) < 1e-12);
        // Packs of 2 share one norm over both images: |(c, c)| = sqrt(18).
        auto packed = [&c](const torch::Tensor& x) {
            return (x * c).sum({1, 2, 3}).view({2, 2}).sum(1);
        };
        const double expected = std::pow(std::sqrt(18.0) - 1, 2);
        QVERIFY(std::abs(gradient_penalty(packed, real, fake, 2, gen).item<double>() - expected) <
                1e-12);
    }

    void fixedDStepsNeverChange() {
        DStepsController c(3, false, 5, 0.75);
        for (int i = 0; i < 200; ++i) c.observe(0.0);
        QCOMPARE(c.steps(), int64_t{3});
    }

    void adaptiveDStepsFollowAccuracy() {
        DStepsController c(1, true, 3, 0.75);
        // A losing discriminator (accuracy 0.5 < 0.65) gains a step per full window, up to max.
        for (int i = 0; i < DStepsController::kWindow - 1; ++i) c.observe(0.5);
        QCOMPARE(c.steps(), int64_t{1});
        c.observe(0.5);
        QCOMPARE(c.steps(), int64_t{2});
        for (int i = 0; i < 5 * DStepsController::kWindow; ++i) c.observe(0.5);
        QCOMPARE(c.steps(), int64_t{3});
        // Within the band nothing changes.
        for (int i = 0; i < 3 * DStepsController::kWindow; ++i) c.observe(0.8);
        QCOMPARE(c.steps(), int64_t{3});
        // A winning one (0.95 > 0.85) loses steps down to 1; the state survives a round trip.
        for (int i = 0; i < DStepsController::kWindow + 3; ++i) c.observe(0.95);
        QCOMPARE(c.steps(), int64_t{2});
        DStepsController copy(1, true, 3, 0.75);
        copy.load_state(c.state());
        for (int i = 0; i < DStepsController::kWindow - 3; ++i) copy.observe(0.95);
        QCOMPARE(copy.steps(), int64_t{1});  // the 3 observations carried over completed a window
        for (int i = 0; i < 4 * DStepsController::kWindow; ++i) copy.observe(1.0);
        QCOMPARE(copy.steps(), int64_t{1});
    }

    void progressivePhases() {
        // stable 100, fade 50: 4x4 [0,100), fade 8 [100,150), 8 [150,250), fade 16 [250,300) ...
        auto at = [](int64_t seen) { return progressive_phase(seen, 50, 100, 4); };
        QCOMPARE(at(0).level, int64_t{0});
        QCOMPARE(at(99).level, int64_t{0});
        QCOMPARE(at(100).level, int64_t{1});
        QCOMPARE(at(100).alpha, 0.0);
        QCOMPARE(at(125).alpha, 0.5);
        QCOMPARE(at(150).level, int64_t{1});
        QCOMPARE(at(150).alpha, 1.0);
        QCOMPARE(at(260).level, int64_t{2});
        QCOMPARE(at(260).alpha, 0.2);
        QCOMPARE(at(400).level, int64_t{3});
        QCOMPARE(at(420).alpha, 0.4);
        QCOMPARE(at(450).level, int64_t{3});
        QCOMPARE(at(450).alpha, 1.0);
        QCOMPARE(at(1'000'000).level, int64_t{3});
        QCOMPARE(progressive_phase(100, 0, 100, 4).alpha, 1.0);  // no fade: straight switch
    }

    void diffAugmentParts() {
        auto x = torch::arange(16, torch::kFloat32).view({1, 1, 4, 4});
        auto shifted = translate(x, torch::tensor({1}), torch::tensor({0}));
        // Output column j is input column j + 1; the last column comes from the zero padding.
        QVERIFY(torch::equal(shifted.narrow(3, 0, 3), x.narrow(3, 1, 3)));
        QVERIFY(torch::equal(shifted.narrow(3, 3, 1), torch::zeros({1, 1, 4, 1})));
        auto down = translate(x, torch::tensor({0}), torch::tensor({-1}));
        QVERIFY(torch::equal(down.narrow(2, 1, 3), x.narrow(2, 0, 3)));
        // Cutout 2x2 centred at (row 1, col 2): rows 0-1, cols 1-2 zeroed.
        auto cut = cutout(torch::ones({1, 1, 4, 4}), torch::tensor({2}), torch::tensor({1}), 2, 2);
        QCOMPARE(cut.sum().item<float>(), 12.0f);
        QCOMPARE(cut[0][0][0][1].item<float>(), 0.0f);
        QCOMPARE(cut[0][0][1][2].item<float>(), 0.0f);
        QCOMPARE(cut[0][0][2][2].item<float>(), 1.0f);
        // Colour: +0.5 brightness, then contrast 2 around the image mean.
        auto y = adjust_color(torch::tensor({0.0f, 1.0f}).view({1, 1, 1, 2}), torch::tensor({0.5f}),
                              torch::tensor({1.0f}), torch::tensor({2.0f}));
        QVERIFY(torch::allclose(y.view({2}), torch::tensor({0.0f, 2.0f})));
        // The policy text and gradients through the random version.
        auto p = parse_diff_augment("color, translation,cutout");
        QVERIFY(p.color && p.translation && p.cutout);
        QVERIFY(!parse_diff_augment("").any());
        QVERIFY_EXCEPTION_THROWN(parse_diff_augment("flip"), std::invalid_argument);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
        auto img = torch::rand({4, 1, 8, 8}).requires_grad_(true);
        auto out = diff_augment(img, p, gen);
        QCOMPARE(out.sizes(), img.sizes());
        out.sum().backward();
        QVERIFY(img.grad().defined() && img.grad().abs().sum().item<float>() > 0);
    }

    void proganWalksThroughAllResolutions() {
        QTemporaryDir dir;
        auto c = tiny_progan();
        c.sample.every_steps = 2;
        const auto r = test::run_to_end(c, dir.filePath("ck").toStdString());
        QVERIFY2(r.final_status == api::RunStatus::Completed, r.message.c_str());
        const auto res = r.by_step("progressive/resolution");
        const auto alpha = r.by_step("progressive/alpha");
        QCOMPARE(res.at(1), 4.0);
        QCOMPARE(res.at(3), 8.0);
        QCOMPARE(alpha.at(3), 0.0);  // 16 images seen: the 8x8 fade starts
        QCOMPARE(alpha.at(5), 0.5);  // 32 seen: half-way through a 32-image fade
        QCOMPARE(res.at(c.train.steps), 32.0);
        QCOMPARE(alpha.at(c.train.steps), 1.0);
        // Every sample grid has the 32x32 size (low resolutions upscaled): same PNG header size.
        std::string first_header;
        for (const auto& e : r.events)
            if (e.kind == api::EventKind::Sample) {
                const auto header = e.payload.substr(16, 8);  // IHDR width and height
                if (first_header.empty()) first_header = header;
                QVERIFY(header == first_header);
            }
        QVERIFY(!first_header.empty());
    }

    void proganAtFullResolutionWhenNotGrowing() {
        QTemporaryDir dir;
        auto c = tiny_progan();
        c.progressive.enabled = false;
        c.train.steps = 3;
        const auto r = test::run_to_end(c, dir.filePath("ck").toStdString());
        QVERIFY2(r.final_status == api::RunStatus::Completed, r.message.c_str());
        for (double v : r.series("progressive/resolution")) QCOMPARE(v, 32.0);
    }

    void controlsTrainAndResume() {
        // Hinge loss, adaptive D steps, DiffAugment and EMA on DCGAN; stop-and-resume equals one
        // go.
        QTemporaryDir dir;
        api::RunConfig c = api::find_preset("dcgan-fashion")->config;
        c.model.width = 8;
        c.train.batch_size = 8;
        c.train.threads = 1;
        c.train.steps = 4;
        c.gan.loss = "hinge";
        c.gan.d_steps_per_g = 2;
        c.gan.d_steps_adaptive = true;
        c.gan.g_ema = 0.9;
        c.augment.diff = "color,translation,cutout";
        c.eval.fid = false;
        c.eval.every_steps = 0;
        c.sample.every_steps = 0;
        c.checkpoint.every_steps = 2;
        const auto whole = test::run_to_end(c, dir.filePath("a").toStdString());
        QVERIFY2(whole.final_status == api::RunStatus::Completed, whole.message.c_str());
        for (double v : whole.series("gan/d_steps")) QCOMPARE(v, 2.0);
        QCOMPARE(whole.series("throughput/samples_per_s").size(), std::size_t{4});
        auto half = c;
        half.train.steps = 2;
        test::run_to_end(half, dir.filePath("b").toStdString());
        const auto resumed = test::run_to_end(c, dir.filePath("b").toStdString(), true);
        QVERIFY2(resumed.final_status == api::RunStatus::Completed, resumed.message.c_str());
        QCOMPARE(resumed.by_step("loss/g").at(4), whole.by_step("loss/g").at(4));
    }

    void proganWithHardSamplerAndPruningResumes() {
        // The hard sampler's scores follow the discriminator through the resolutions, magnitude
        // pruning masks ProGAN's equalised-LR weights, and both come back from a checkpoint.
        QTemporaryDir dir;
        auto c = tiny_progan();
        c.train.steps = 10;
        c.gan.pack = 2;
        c.sampler.kind = "hard";
        c.sampler.beta = 0.5;
        c.sampler.rescore_every = 3;
        c.sampler.stale_after = 2;
        c.prune.method = "magnitude";
        c.prune.target = 0.5;
        c.prune.at_step = 4;
        c.checkpoint.every_steps = 5;
        QVERIFY(c.validate().empty());
        const auto whole = test::run_to_end(c, dir.filePath("a").toStdString());
        QVERIFY2(whole.final_status == api::RunStatus::Completed, whole.message.c_str());
        QVERIFY(whole.by_step("prune/sparsity").at(10) > 0.45);
        QVERIFY(whole.by_step("prune/params").at(10) < whole.by_step("prune/params").at(0));
        QVERIFY(whole.by_step("sampler/unique_seen").at(10) > 0);
        auto half = c;
        half.train.steps = 5;
        test::run_to_end(half, dir.filePath("b").toStdString());
        const auto resumed = test::run_to_end(c, dir.filePath("b").toStdString(), true);
        QVERIFY2(resumed.final_status == api::RunStatus::Completed, resumed.message.c_str());
        for (int64_t step = 6; step <= 10; ++step)
            QCOMPARE(resumed.by_step("loss/d").at(step), whole.by_step("loss/d").at(step));
        QCOMPARE(resumed.by_step("prune/sparsity").at(10), whole.by_step("prune/sparsity").at(10));
    }

    void wganGpReportsThePenalty() {
        QTemporaryDir dir;
        auto c = tiny_progan();
        c.train.steps = 2;
        c.gan.pack = 2;
        const auto r = test::run_to_end(c, dir.filePath("ck").toStdString());
        QVERIFY2(r.final_status == api::RunStatus::Completed, r.message.c_str());
        QCOMPARE(r.series("loss/gp").size(), std::size_t{2});
        QVERIFY(r.series("loss/gp").back() >= 0);
    }
};

QTEST_GUILESS_MAIN(TestGanToolkit)
#include "test_gan_toolkit.moc"
