// TorchEngine end to end on the CPU: determinism, resume equivalence, pause/stop, checkpoints,
// and the failures a user can cause (missing data, corrupt checkpoints, divergence).
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/api/presets.h"
#include "engine/checkpoint.h"
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

    void resumedRunMatchesStraightRun() {
        QTemporaryDir dir;
        const auto straight = test::run_to_end(small_gan(60), dir.filePath("s").toStdString());
        const std::string ck = dir.filePath("r").toStdString();
        const auto first = test::run_to_end(small_gan(25), ck);
        QCOMPARE(first.final_status, api::RunStatus::Completed);
        QCOMPARE(engine::list_checkpoints(ck).size(), std::size_t{1});  // written at the end
        const auto second = test::run_to_end(small_gan(60), ck, /*resume=*/true);
        QCOMPARE(second.final_status, api::RunStatus::Completed);
        const auto s = straight.by_step("loss/g");
        const auto r = second.by_step("loss/g");
        QCOMPARE(r.size(), std::size_t{35});
        QCOMPARE(r.begin()->first, int64_t{26});
        for (const auto& [step, v] : r) QCOMPARE(v, s.at(step));
        QCOMPARE(second.by_step("quality/hq_fraction").at(60),
                 straight.by_step("quality/hq_fraction").at(60));
        // The wall clock continues from the checkpoint instead of restarting at zero.
        QVERIFY(second.events.back().wall_s >= first.events.back().wall_s);
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
