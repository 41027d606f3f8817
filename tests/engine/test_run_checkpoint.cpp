// The checkpoint format: a format-1 file (written before run extensions existed) resumes into the
// run it would have been, its generator average and pruning masks included; format 2 keeps each
// extension's state under its key; a newer format or a damaged file is reported, not misread.
#include <csignal>
#include <filesystem>
#include <fstream>

#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include "engine/checkpoint.h"
#include "engine/export/model_export.h"
#include "engine/run/archive_check.h"
#include "engine/run/run_checkpoint.h"
#include "engine/train/model_registry.h"
#include "engine_test_util.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QTemporaryDir>
#include <QtTest>

using namespace wb;
namespace fs = std::filesystem;

namespace {

const std::string kFixture = std::string(WB_SOURCE_DIR) + "/tests/data/checkpoint-v1";

nlohmann::json expected() {
    std::ifstream in(kFixture + "/expected.json");
    return nlohmann::json::parse(in);
}

api::RunConfig fixture_config() {
    std::vector<api::ConfigError> errors;
    auto c = api::RunConfig::from_json(expected()["config"], &errors);
    if (!errors.empty()) qFatal("%s", api::format_errors(errors).c_str());
    return c;
}

bool close(double a, double b, double rel) {
    return std::abs(a - b) <= rel * std::max(1.0, std::abs(b));
}

}  // namespace

class TestRunCheckpoint final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void format1ResumesIntoTheSameRun() {
        QTemporaryDir dir;
        const std::string ck = dir.filePath("ck").toStdString();
        fs::create_directories(ck);
        fs::copy_file(kFixture + "/ckpt-3.pt", ck + "/ckpt-3.pt");
        const auto config = fixture_config();
        const auto r = test::run_to_end(config, ck, /*resume=*/true);
        QVERIFY2(r.final_status == api::RunStatus::Completed, r.message.c_str());
        const auto want = expected();
        // The same losses as the run that wrote the file went on to have (to float rounding of
        // another CPU's kernels): model, optimizer, data order and masks came back.
        for (const char* name : {"loss/g", "loss/d"}) {
            const auto got = r.by_step(name);
            for (const auto& [step, value] : want[name].items()) {
                QVERIFY2(got.count(std::stoll(step)), step.c_str());
                QVERIFY2(close(got.at(std::stoll(step)), value.get<double>(), 1e-5),
                         (std::string(name) + " at " + step).c_str());
            }
        }
        // The final sample comes from the generator average: it came back too.
        std::string points;
        for (const auto& e : r.events)
            if (e.kind == api::EventKind::Sample && e.step == want["sample_step"].get<int64_t>())
                points = e.payload;
        QVERIFY(!points.empty());
        const auto generated = nlohmann::json::parse(points)["generated"];
        for (size_t i = 0; i < want["generated"].size(); ++i)
            for (int k = 0; k < 2; ++k)
                QVERIFY2(close(generated[i][k].get<double>(), want["generated"][i][k], 1e-4),
                         std::to_string(i).c_str());

        // What the run wrote at the end is format 2, the average's state under its own key.
        auto trainer =
            engine::make_trainer(config, torch::kCPU, at::make_generator<at::CPUGeneratorImpl>(1));
        engine::checkpoint::Reader reader(ck + "/ckpt-6.pt", torch::kCPU);
        QCOMPARE(reader.meta().format, engine::checkpoint::kFormat);
        reader.load_trainer(*trainer);
        auto* ema = reader.extension("ema", *trainer);
        QVERIFY(ema);
        c10::IValue updates;
        ema->read("updates", updates);
        QCOMPARE(updates.toInt(), int64_t{6});
        QVERIFY(reader.extension("prune", *trainer));
        QVERIFY(!reader.extension("distill", *trainer));
    }

    void newerFormatIsRefused() {
        QTemporaryDir dir;
        const std::string ck = dir.filePath("ck").toStdString();
        engine::write_checkpoint(ck, 7, [](torch::serialize::OutputArchive& ar) {
            ar.write("meta", c10::IValue(std::string(R"({"format": 99, "step": 7, "wall_s": 1})")));
        });
        try {
            engine::checkpoint::Reader reader(ck + "/ckpt-7.pt", torch::kCPU);
            QFAIL("a format-99 checkpoint was read");
        } catch (const engine::checkpoint::CheckpointError& e) {
            QVERIFY2(std::string(e.what()).find("format 99 is newer") != std::string::npos,
                     e.what());
        }
    }

    void exportFallsBackPastADamagedNewestFile() {
        QTemporaryDir dir;
        const std::string ck = dir.filePath("ck").toStdString();
        fs::create_directories(ck);
        fs::copy_file(kFixture + "/ckpt-3.pt", ck + "/ckpt-3.pt");
        std::ofstream(ck + "/ckpt-9.pt", std::ios::binary) << "not a checkpoint";
        const std::string out = dir.filePath("g.pt").toStdString();
        const auto exported = engine::export_model(fixture_config(), ck, out, false);
        QCOMPARE(exported.step, int64_t{3});
        QCOMPARE(exported.skipped.size(), std::size_t{1});
        QVERIFY(exported.skipped[0].rfind(ck + "/ckpt-9.pt: ", 0) == 0);
        QVERIFY(fs::file_size(out) > 0);
        QVERIFY(!fs::exists(out + ".tmp"));
        fs::remove(ck + "/ckpt-3.pt");
        try {
            engine::export_model(fixture_config(), ck, out, false);
            QFAIL("exported from a damaged checkpoint");
        } catch (const engine::checkpoint::CheckpointError& e) {
            QVERIFY2(std::string(e.what()).find("ckpt-9.pt") != std::string::npos, e.what());
        }
    }

    // Issue 20, item 8: 64 overwritten bytes of tensor data loaded silently, and the run later
    // blamed the learning rate. The archive's CRC-32s catch them and resume falls back.
    void damagedTensorBytesFallBackToTheOlderCheckpoint() {
        QTemporaryDir dir;
        const std::string ck = dir.filePath("ck").toStdString();
        auto config = test::tiny_preset("gan-mixture2d", 20, 0);
        config.checkpoint.every_steps = 10;
        QCOMPARE(test::run_to_end(config, ck).final_status, api::RunStatus::Completed);
        const std::string newest = ck + "/ckpt-20.pt";
        QVERIFY(engine::checkpoint::archive_crc_problem(newest).empty());
        QVERIFY(engine::checkpoint::archive_crc_problem(ck + "/ckpt-10.pt").empty());
        {
            std::fstream f(newest, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(static_cast<std::streamoff>(fs::file_size(newest) / 2));
            f.write(std::string(64, '\x7f').data(), 64);
        }
        // The kind of damage LibTorch itself does not notice.
        torch::serialize::InputArchive unchecked;
        unchecked.load_from(newest);
        const std::string problem = engine::checkpoint::archive_crc_problem(newest);
        QVERIFY2(problem.find("fails its CRC-32 check") != std::string::npos, problem.c_str());

        config.train.steps = 30;
        const auto r = test::run_to_end(config, ck, /*resume=*/true);
        QVERIFY2(r.final_status == api::RunStatus::Completed, r.message.c_str());
        bool warned = false, resumed = false;
        for (const auto& e : r.events) {
            if (e.kind != api::EventKind::Log) continue;
            warned = warned || (e.name == "warning" &&
                                e.payload.find("cannot read checkpoint " + newest) == 0 &&
                                e.payload.find("CRC-32") != std::string::npos);
            resumed =
                resumed || e.payload.find("resumed from " + ck + "/ckpt-10.pt at step 10") == 0;
        }
        QVERIFY(warned);
        QVERIFY(resumed);
        QCOMPARE(r.by_step("loss/g").begin()->first, int64_t{11});
    }

    // Issue 20, item 7: a checkpoint that failed on a full disk left its temporary file,
    // which kept the disk full.
    void failedCheckpointLeavesNoTemporaryFile() {
        QTemporaryDir dir;
        const std::string ck = dir.filePath("ck").toStdString();
        rlimit before{};
        getrlimit(RLIMIT_FSIZE, &before);
        const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit small = before;
        small.rlim_cur = 64 * 1024;
        QCOMPARE(setrlimit(RLIMIT_FSIZE, &small), 0);
        std::string error;
        try {
            engine::write_checkpoint(ck, 5, [](torch::serialize::OutputArchive& ar) {
                ar.write("big", torch::ones({1 << 16}));  // 256 KiB
            });
        } catch (const std::runtime_error& e) {
            error = e.what();
        }
        setrlimit(RLIMIT_FSIZE, &before);
        std::signal(SIGXFSZ, old_handler);
        QVERIFY2(error.find("cannot write " + ck + "/ckpt-5.pt: File too large") == 0,
                 error.c_str());
        QVERIFY(!fs::exists(ck + "/ckpt-5.pt"));
        QVERIFY(!fs::exists(ck + "/ckpt-5.pt.tmp"));
    }
};

QTEST_APPLESS_MAIN(TestRunCheckpoint)
#include "test_run_checkpoint.moc"
