// TorchEngine end to end on the CPU: determinism, resume equivalence, pause/stop, checkpoints,
// and the failures a user can cause (missing data, corrupt checkpoints, divergence).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/api/preflight.h"
#include "engine/api/presets.h"
#include "engine/checkpoint.h"
#include "engine/data/idx.h"
#include "engine/data/text_corpus.h"
#include "engine/train/trainer.h"
#include "engine_test_util.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QtTest>

using namespace wb;
using wb::test::Collected;

namespace {

api::RunConfig small_gan(int64_t steps) {
    api::RunConfig c = api::find_preset("gan-mixture2d")->config;
    c.train.steps = steps;
    c.train.batch_size = 64;
    c.train.threads = 1;
    c.model.width = 32;
    c.eval.every_steps = 20;
    c.eval.samples = 256;
    c.sample.every_steps = 0;
    c.checkpoint.every_steps = 0;
    return c;
}

}  // namespace

class TestEngineRuns final : public QObject {
    Q_OBJECT

private slots:
    void sameSeedGivesIdenticalLossSeries() {
        QTemporaryDir dir;
        const auto a = test::run_to_end(small_gan(40), dir.filePath("a").toStdString());
        const auto b = test::run_to_end(small_gan(40), dir.filePath("b").toStdString());
        QCOMPARE(a.final_status, api::RunStatus::Completed);
        QCOMPARE(a.series("loss/g").size(), std::size_t{40});
        QVERIFY(a.series("loss/g") == b.series("loss/g"));
        QVERIFY(a.series("loss/d") == b.series("loss/d"));
        QVERIFY(a.series("quality/hq_fraction") == b.series("quality/hq_fraction"));
        auto other = small_gan(40);
        other.train.seed = 7;
        const auto c = test::run_to_end(other, dir.filePath("c").toStdString());
        QVERIFY(a.series("loss/g") != c.series("loss/g"));
    }

    void resumedRunMatchesStraightRun_data() {
        QTest::addColumn<QString>("optimizer");
        QTest::addColumn<bool>("fused");
        QTest::addColumn<QString>("schedule");
        QTest::newRow("adam") << "adam" << false << "constant";
        QTest::newRow("lamb, cosine, warm-up, clipping") << "lamb" << false << "cosine";
        QTest::newRow("adabelief fused, cosine") << "adabelief" << true << "cosine";
    }
    void resumedRunMatchesStraightRun() {
        QFETCH(QString, optimizer);
        QFETCH(bool, fused);
        QFETCH(QString, schedule);
        auto c = small_gan(60);
        c.optim.name = optimizer.toStdString();
        c.optim.fused = fused;
        c.optim.schedule = schedule.toStdString();
        c.optim.warmup_steps = schedule == "cosine" ? 10 : 0;
        c.optim.grad_clip = optimizer == "lamb" ? 0.5 : 0.0;
        c.checkpoint.every_steps = 30;
        QTemporaryDir dir;
        const std::string ck = dir.filePath("r").toStdString();
        const auto straight = test::run_to_end(c, ck);
        QCOMPARE(straight.final_status, api::RunStatus::Completed);
        // Checkpoints at 30 and 60; drop the last to resume from the middle of the run.
        auto files = engine::list_checkpoints(ck);
        QCOMPARE(files.size(), std::size_t{2});
        std::filesystem::remove(files.front());  // newest first
        const auto second = test::run_to_end(c, ck, /*resume=*/true);
        QCOMPARE(second.final_status, api::RunStatus::Completed);
        for (const char* name : {"loss/g", "lr", "grad/norm_d", "grad/norm_g"}) {
            const auto s = straight.by_step(name);
            const auto r = second.by_step(name);
            // With clipping (lamb) the norm is needed every step, else it is computed at steps
            // 40, 50 and 60 only (kGradNormEvery).
            const bool every = std::string(name).rfind("grad/", 0) != 0 || c.optim.grad_clip > 0;
            QCOMPARE(r.size(), std::size_t{every ? 30u : 3u});
            QCOMPARE(r.begin()->first, int64_t{every ? 31 : 40});
            for (const auto& [step, v] : r) QCOMPARE(v, s.at(step));
        }
        QCOMPARE(second.by_step("quality/hq_fraction").at(60),
                 straight.by_step("quality/hq_fraction").at(60));
        if (schedule == "cosine") {
            const auto lr = straight.by_step("lr");
            QCOMPARE(lr.at(1), c.optim.lr / 10);  // first warm-up step
            QCOMPARE(lr.at(10), c.optim.lr);
            QVERIFY(lr.at(60) < 0.01 * c.optim.lr);
        }
        // The wall clock continues from the checkpoint instead of restarting at zero.
        double wall_at_30 = 0;
        for (const auto& e : straight.events)
            if (e.step == 30) wall_at_30 = e.wall_s;
        QVERIFY(wall_at_30 > 0);
        for (const auto& e : second.events)
            if (e.kind == api::EventKind::Metric) QVERIFY(e.wall_s >= wall_at_30);
    }

    void fp16WithoutCudaIsAConfigErrorThatSuggestsBf16() {
        if (torch::cuda::is_available()) QSKIP("this machine has CUDA");
        auto c = small_gan(5);
        c.precision = "fp16";
        auto engine = engine::make_torch_engine();
        const auto errors = engine->start({1, c, "/tmp/unused", false});
        QCOMPARE(errors.size(), std::size_t{1});
        QCOMPARE(errors[0].path, std::string("precision"));
        QVERIFY(errors[0].message.find("bf16") != std::string::npos);
    }

    void bf16TrainsCloseToButNotIdenticalToFp32() {
        QTemporaryDir dir;
        auto c = small_gan(40);
        const auto fp32 = test::run_to_end(c, dir.filePath("a").toStdString());
        c.precision = "bf16";
        const auto bf16 = test::run_to_end(c, dir.filePath("b").toStdString());
        QCOMPARE(bf16.final_status, api::RunStatus::Completed);
        const auto a = fp32.series("loss/d"), b = bf16.series("loss/d");
        QCOMPARE(b.size(), a.size());
        // The first step sees the same weights and data: only bfloat16 rounding differs
        // (8 bits of mantissa: relative errors around 1e-3 to 1e-2).
        QVERIFY(a.front() != b.front());
        QVERIFY(std::fabs(a.front() - b.front()) < 0.05 * std::fabs(a.front()));
        for (double v : b) QVERIFY(std::isfinite(v));
        QVERIFY(bf16.series("amp/loss_scale").empty());  // no loss scaling outside fp16
        QCOMPARE(bf16.series("grad/norm_d").size(), std::size_t{40 / engine::kGradNormEvery});
    }

    void gradNormIsMeasuredEveryTenthStepWithoutChangingTraining() {
        QTemporaryDir dir;
        auto c = small_gan(25);
        const auto sparse = test::run_to_end(c, dir.filePath("a").toStdString());
        // A clipping threshold that is never reached needs the norm every step but must train
        // identically.
        c.optim.grad_clip = 1e6;
        const auto every = test::run_to_end(c, dir.filePath("b").toStdString());
        QCOMPARE(sparse.final_status, api::RunStatus::Completed);
        QCOMPARE(every.final_status, api::RunStatus::Completed);
        QCOMPARE(every.series("loss/d"), sparse.series("loss/d"));
        for (const char* name : {"grad/norm_d", "grad/norm_g"}) {
            const auto all = every.by_step(name);
            const auto some = sparse.by_step(name);
            QCOMPARE(all.size(), std::size_t{25});
            // Steps 10 and 20, and the last step, 25.
            QCOMPARE(some.size(), std::size_t{3});
            std::vector<int64_t> steps;
            for (const auto& [step, v] : some) {
                steps.push_back(step);
                QVERIFY(v > 0);
                QCOMPARE(v, all.at(step));
            }
            QCOMPARE(steps, (std::vector<int64_t>{10, 20, 25}));
        }
    }

    void everyMetricAndSampleIsReported() {
        QTemporaryDir dir;
        auto c = small_gan(20);
        c.sample.every_steps = 10;
        const auto r = test::run_to_end(c, dir.filePath("m").toStdString());
        for (const char* m : {"loss/g", "loss/d", "lr", "time/step_ms", "throughput/samples_per_s",
                              "memory/allocated_bytes", "memory/peak_bytes",
                              "quality/modes_covered", "quality/hq_fraction"})
            QVERIFY2(!r.series(m).empty(), m);
        QVERIFY(r.series("memory/allocated_bytes").back() > 1e6);
        QCOMPARE(r.count(api::EventKind::Sample, api::kSamplePoints), 2);
        QVERIFY(r.has_status(api::RunStatus::Running));
        QCOMPARE(r.count(api::EventKind::Checkpoint), 1);
    }

    void pauseResumeAndStop() {
        QTemporaryDir dir;
        auto c = small_gan(1'000'000);
        auto engine = engine::make_torch_engine();
        const std::string ck = dir.filePath("p").toStdString();
        QVERIFY(engine->start({5, c, ck, false}).empty());
        auto wait_for = [&](api::RunStatus s, Collected* col) {
            for (int i = 0; i < 400; ++i) {
                test::absorb(col, engine->drain());
                if (col->has_status(s)) return true;
                std::this_thread::sleep_for(std::chrono::milliseconds(25));
            }
            return false;
        };
        Collected col;
        QVERIFY(wait_for(api::RunStatus::Running, &col));
        engine->pause(5);
        QVERIFY(wait_for(api::RunStatus::Paused, &col));
        const int64_t paused_at = engine->runs().at(0).step;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        QCOMPARE(engine->runs().at(0).step, paused_at);  // no training while paused
        engine->resume(5);
        engine->stop(5);
        engine->wait(5);
        test::absorb(&col, engine->drain());
        QCOMPARE(col.final_status, api::RunStatus::Stopped);
        const auto files = engine::list_checkpoints(ck);
        QCOMPARE(files.size(), std::size_t{1});
        QVERIFY(QString::fromStdString(files[0]).endsWith(
            QString("ckpt-%1.pt").arg(engine->runs().at(0).step)));
    }

    void missingDatasetIsADataFailure() {
        QTemporaryDir dir;
        api::RunConfig c = api::find_preset("dcgan-fashion")->config;
        c.data.path = "/nonexistent/fashion";
        const auto r = test::run_to_end(c, dir.filePath("d").toStdString());
        QCOMPARE(r.final_status, api::RunStatus::Failed);
        QCOMPARE(r.failure, std::string("data"));
        QVERIFY2(r.message.find("/nonexistent/fashion") != std::string::npos, r.message.c_str());
    }

    void corruptNewestCheckpointFallsBackToAnOlderOne() {
        QTemporaryDir dir;
        const std::string ck = dir.filePath("c").toStdString();
        auto c = small_gan(20);
        c.checkpoint.every_steps = 10;
        QCOMPARE(test::run_to_end(c, ck).final_status, api::RunStatus::Completed);
        std::ofstream(ck + "/ckpt-20.pt", std::ios::trunc) << "not a checkpoint";
        c.train.steps = 25;
        const auto r = test::run_to_end(c, ck, true);
        QCOMPARE(r.final_status, api::RunStatus::Completed);
        QCOMPARE(r.by_step("loss/g").begin()->first, int64_t{11});  // resumed from step 10
        QVERIFY(r.count(api::EventKind::Log, "warning") >= 1);
    }

    // The app checks these folders before a run exists; the readers must look in the same ones.
    void defaultDataFoldersAreTheOnesThePreflightChecks() {
        QCOMPARE(std::string(engine::data::kDefaultFashionMnistDir),
                 std::string(api::kDefaultFashionMnistDir));
        QCOMPARE(std::string(engine::data::kDefaultFortunesDir), std::string(api::kDefaultTextDir));
    }

    // Folders are named after run ids; a fresh run must not inherit an older run's checkpoints,
    // or a later Continue would resume from the other run's weights.
    void freshRunClearsCheckpointsLeftInItsFolder() {
        QTemporaryDir dir;
        const std::string ck = dir.filePath("run-4").toStdString();
        auto old_run = small_gan(20);
        old_run.checkpoint.every_steps = 10;
        QCOMPARE(test::run_to_end(old_run, ck).final_status, api::RunStatus::Completed);
        std::ofstream(ck + "/ckpt-30.pt.tmp") << "torn";
        std::ofstream(ck + "/notes.txt") << "not ours to delete";
        const auto r = test::run_to_end(small_gan(5), ck);
        QCOMPARE(r.final_status, api::RunStatus::Completed);
        const auto files = engine::list_checkpoints(ck);
        QCOMPARE(files.size(), std::size_t{1});
        QVERIFY(QString::fromStdString(files[0]).endsWith("ckpt-5.pt"));
        QVERIFY(!std::filesystem::exists(ck + "/ckpt-30.pt.tmp"));
        QVERIFY(std::filesystem::exists(ck + "/notes.txt"));
        QCOMPARE(r.count(api::EventKind::Log, "warning"), 1);
    }

    void unreadableCheckpointsFailWithAClearMessage() {
        QTemporaryDir dir;
        const std::string ck = dir.filePath("x").toStdString();
        std::filesystem::create_directories(ck);
        std::ofstream(ck + "/ckpt-10.pt") << "garbage";
        const auto r = test::run_to_end(small_gan(20), ck, true);
        QCOMPARE(r.final_status, api::RunStatus::Failed);
        QCOMPARE(r.failure, std::string("checkpoint"));
        QVERIFY(r.message.find("ckpt-10.pt") != std::string::npos);
        QVERIFY(
            std::filesystem::exists(ck + "/ckpt-10.pt"));  // never deleted behind the user's back
    }

    void divergenceStopsWithANonFiniteFailure() {
        QTemporaryDir dir;
        auto c = small_gan(200);
        c.optim.name = "sgd";
        c.optim.lr = 10.0;
        c.optim.momentum = 0.99;
        const auto r = test::run_to_end(c, dir.filePath("n").toStdString());
        QCOMPARE(r.final_status, api::RunStatus::Failed);
        QCOMPARE(r.failure, std::string("non_finite"));
        QVERIFY2(r.message.find("optim.lr") != std::string::npos, r.message.c_str());
    }

    void cudaWithoutCudaIsAConfigError() {
        if (torch::cuda::is_available()) QSKIP("this machine has CUDA");
        auto c = small_gan(5);
        c.device = "cuda";
        auto engine = engine::make_torch_engine();
        const auto errors = engine->start({1, c, "/tmp/unused", false});
        QCOMPARE(errors.size(), std::size_t{1});
        QCOMPARE(errors[0].path, std::string("device"));
        QVERIFY(errors[0].message.find("device=cpu") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestEngineRuns)
#include "test_engine_runs.moc"
