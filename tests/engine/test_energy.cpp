// Energy per run (issue 23): the RAPL reader against a fake powercap tree (two domains, a
// wrap-around, an unreadable file), the estimate when NVML is absent, the estimate's arithmetic,
// cost and carbon from set prices, and real runs that report their energy and its source.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/api/energy_info.h"
#include "engine/energy/cpu_time.h"
#include "engine/energy/meter.h"
#include "engine/energy/rapl.h"
#include "engine_test_util.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QtTest>

using namespace wb;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text << "\n";
}

// A zone of a fake /sys/class/powercap.
void zone(const fs::path& root, const std::string& zone, const std::string& name, uint64_t uj,
          uint64_t max_uj) {
    write(root / zone / "name", name);
    write(root / zone / "energy_uj", std::to_string(uj));
    write(root / zone / "max_energy_range_uj", std::to_string(max_uj));
}

// As for a user since Linux 5.10 (energy_uj is 0400 root). Root reads any file, so there the
// file becomes a directory, which no read gets a number out of either.
void make_unreadable(const fs::path& file) {
    ::chmod(file.c_str(), 0);
    if (::access(file.c_str(), R_OK) == 0) {
        fs::remove(file);
        fs::create_directory(file);
    }
}

void make_readable(const fs::path& file, uint64_t uj) {
    if (fs::is_directory(file)) fs::remove(file);
    ::chmod(file.c_str(), 0644);
    write(file, std::to_string(uj));
}

constexpr uint64_t kPackageRange = 262143328850;

}  // namespace

class TestEnergy final : public QObject {
    Q_OBJECT

private slots:
    void raplSumsPackageAndDramAcrossAWrap() {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        zone(root, "intel-rapl:0", "package-0", 1'000'000, kPackageRange);
        zone(root, "intel-rapl:0:0", "dram", 900'000, 1'000'000);
        zone(root, "intel-rapl:0:1", "core", 5, kPackageRange);          // part of the package
        zone(root, "intel-rapl-mmio:0", "package-0", 7, kPackageRange);  // the same package again
        zone(root, "intel-rapl:1", "package-1", 50, kPackageRange);
        make_unreadable(root / "intel-rapl:1" / "energy_uj");

        std::string why;
        auto rapl = energy::RaplReader::open(root.string(), &why);
        QVERIFY2(rapl, why.c_str());
        QCOMPARE(rapl->domain_names(), (std::vector<std::string>{"package-0", "dram"}));
        QCOMPARE(rapl->skipped().size(), size_t{1});
        QVERIFY2(rapl->skipped()[0].find("intel-rapl:1 (package-1)") == 0,
                 rapl->skipped()[0].c_str());
        QCOMPARE(rapl->joules(), 0.0);

        // The package draws 2 J; the DRAM counter passes its 1 J range: 0.1 J up to the wrap,
        // 0.1 J after it.
        write(root / "intel-rapl:0" / "energy_uj", "3000000");
        write(root / "intel-rapl:0:0" / "energy_uj", "100000");
        write(root / "intel-rapl:0:1" / "energy_uj", "999999999");
        QVERIFY(std::abs(rapl->joules() - 2.2) < 1e-9);

        // A reading that fails adds nothing; the next good one catches up.
        make_unreadable(root / "intel-rapl:0" / "energy_uj");
        QVERIFY(std::abs(rapl->joules() - 2.2) < 1e-9);
        make_readable(root / "intel-rapl:0" / "energy_uj", 4'000'000);
        QVERIFY(std::abs(rapl->joules() - 3.2) < 1e-9);
    }

    void raplDeltaWraps() {
        QCOMPARE(energy::rapl_delta_uj(5, 10, 1000), uint64_t{5});
        QCOMPARE(energy::rapl_delta_uj(900, 100, 1000), uint64_t{200});
        QCOMPARE(energy::rapl_delta_uj(10, 10, 1000), uint64_t{0});
    }

    void raplSaysWhyItCannotMeasure() {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        std::string why;
        QVERIFY(!energy::RaplReader::open((root / "none").string(), &why));
        QVERIFY2(why.find("does not exist") != std::string::npos, why.c_str());

        zone(root, "intel-rapl:0", "package-0", 1, kPackageRange);
        make_unreadable(root / "intel-rapl:0" / "energy_uj");
        QVERIFY(!energy::RaplReader::open(root.string(), &why));
        QVERIFY2(why.find("cannot be read") != std::string::npos, why.c_str());
        QVERIFY(why.find("intel-rapl:0 (package-0)") != std::string::npos);
        QVERIFY(why.find("chmod a+r") != std::string::npos);  // the fix

        // The meter then estimates, and says why in its notes.
        energy::MeterOptions o;
        o.powercap_root = root.string();
        energy::EnergyMeter meter(o);
        QVERIFY(meter.estimated());
        QVERIFY(meter.notes().at(0).find("RAPL: the RAPL counters cannot be read") == 0);
        QCOMPARE(meter.record()["cpu"]["source"].get<std::string>(),
                 std::string("cpu-time estimate"));
    }

    void raplMeasuresWhenReadable() {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        zone(root, "intel-rapl:0", "package-0", 0, kPackageRange);
        energy::MeterOptions o;
        o.powercap_root = root.string();
        energy::EnergyMeter meter(o);
        QVERIFY(!meter.estimated());
        write(root / "intel-rapl:0" / "energy_uj", "5000000");
        QCOMPARE(meter.sample(1.0, 1.0), 5.0);
        // A pause: the machine idled for 9 of 10 s; only the trained second counts, at the
        // power measured before (5 W).
        write(root / "intel-rapl:0" / "energy_uj", "25000000");
        QCOMPARE(meter.sample(10.0, 1.0), 10.0);
        const auto record = meter.record();
        QCOMPARE(record["cpu"]["scope"].get<std::string>(), std::string("machine-wide"));
        QVERIFY(record["label"].get<std::string>().find("measured: RAPL package-0, machine-wide") ==
                0);
        QVERIFY(!record["estimated"].get<bool>());
    }

    void nvmlAbsentGivesTheEstimate() {
        energy::MeterOptions o;
        o.powercap_root = "/nonexistent/powercap";
        o.nvml_library = "libnvidia-ml-absent.so.1";
        o.cuda = true;
        o.gpu_watts = 250;
        energy::EnergyMeter meter(o);
        QVERIFY(meter.has_gpu());
        QVERIFY(meter.estimated());
        const auto record = meter.record();
        QCOMPARE(record["gpu"]["source"].get<std::string>(), std::string("gpu time estimate"));
        const std::string label = record["label"].get<std::string>();
        QVERIFY2(label.find("estimated: CPU time x 10 W per core + estimated: GPU at 250 W") == 0,
                 label.c_str());
        bool named = false;
        for (const auto& n : meter.notes())
            named = named || n.find("NVML: cannot load libnvidia-ml-absent.so.1") == 0;
        QVERIFY(named);
        // Utilisation unknown: the full 250 W for every unpaused second.
        meter.sample(2.0, 2.0);
        QCOMPARE(meter.gpu_joules(), 500.0);
        meter.sample(10.0, 1.0);
        QCOMPARE(meter.gpu_joules(), 750.0);
        QCOMPARE(api::energy_qualifier(nlohmann::json{{"energy", record}}.dump()),
                 std::string("estimated"));
    }

    void cpuEstimateIsCpuTimeTimesWatts() {
        QCOMPARE(energy::cpu_estimate_joules(3.5, 10.0), 35.0);
        energy::MeterOptions o;
        o.powercap_root = "/nonexistent/powercap";
        o.cpu_watts_per_core = 20;
        const double before = energy::process_cpu_seconds();
        energy::EnergyMeter meter(o);
        QVERIFY(!meter.has_gpu());
        volatile double sink = 0;
        while (energy::process_cpu_seconds() - before < 0.25)
            for (int i = 0; i < 100000; ++i) sink = sink + i * 1e-9;
        const double joules = meter.sample(0.3, 0.3);
        const double after = energy::process_cpu_seconds();
        QVERIFY2(joules >= 0.2 * 20 && joules <= (after - before) * 20 + 1e-9,
                 qPrintable(QString::number(joules)));
        QCOMPARE(meter.record()["label"].get<std::string>(),
                 std::string("estimated: CPU time x 20 W per core"));
    }

    void costAndCarbonFromSetPrices() {
        api::EnergyConfig prices;
        prices.price_kwh = 0.5;
        prices.price_gpu_hour = 2.0;
        prices.carbon_g_per_kwh = 400;
        const auto c = energy::costs_of(7.2e6, 1.5, prices);  // 2 kWh, 1.5 GPU-hours
        QCOMPARE(c.kwh, 2.0);
        QCOMPARE(c.cost, 2.0 * 0.5 + 1.5 * 2.0);
        QCOMPARE(c.carbon_g, 800.0);
        const auto d = energy::costs_of(3.6e6, 0, api::EnergyConfig{});
        QCOMPARE(d.cost, 0.30);
        QCOMPARE(d.carbon_g, 475.0);
    }

    void machineBusyTimeFromProcStat() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("stat").toStdString();
        write(path, "cpu  100 20 30 1000 50 5 5 10 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0");
        const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
        QCOMPARE(*energy::machine_busy_seconds(path), 170 / ticks);
        QVERIFY(!energy::machine_busy_seconds(dir.filePath("none").toStdString()));
    }

    void energySettingsAreValidated() {
        api::RunConfig c;
        std::vector<api::ConfigError> errors;
        QVERIFY(c.set("energy.price_kwh", "-1", &errors));
        QVERIFY(c.set("energy.cpu_watts_per_core", "0", &errors));
        const std::string text = api::format_errors(c.validate());
        QVERIFY2(text.find("energy.price_kwh: -1 is out of range [0, 100]") != std::string::npos,
                 text.c_str());
        QVERIFY(text.find("energy.cpu_watts_per_core: 0 is out of range") != std::string::npos);
    }

    // A real run on this machine: whatever the source, the energy is positive, its kWh, cost and
    // carbon follow from the default prices, and the run names its source.
    void realRunReportsItsEnergyAndSource() {
        api::RunConfig c = test::tiny_preset("gan-mixture2d", 40, 0);
        c.train.batch_size = 64;
        QTemporaryDir dir;
        const auto run = test::run_to_end(c, dir.filePath("run").toStdString());
        QVERIFY2(run.final_status == api::RunStatus::Completed, run.message.c_str());
        const auto joules = run.series("energy/joules");
        QVERIFY(!joules.empty());
        QVERIFY2(joules.back() > 0, qPrintable(QString::number(joules.back())));
        const double kwh = run.series("energy/kwh").back();
        QCOMPARE(kwh, joules.back() / 3.6e6);
        QCOMPARE(run.series("carbon/grams").back(), kwh * 475);
        QVERIFY(!run.series("energy/watts").empty());
        QVERIFY(run.series("energy/watts").back() > 0);
        std::string label;
        for (const auto& e : run.events)
            if (e.kind == api::EventKind::Attribute && e.name == "energy")
                label = api::energy_record_info(e.payload)->label;
        QVERIFY2(label.find("estimated: CPU time x 10 W per core") == 0 ||
                     label.find("measured: RAPL") == 0,
                 label.c_str());
    }

    // Resumed, a run keeps counting from the energy its checkpoint holds.
    void resumedRunKeepsCounting() {
        api::RunConfig c = test::tiny_preset("gan-mixture2d", 20, 0);
        QTemporaryDir dir;
        const std::string ck = dir.filePath("run").toStdString();
        const auto first = test::run_to_end(c, ck);
        QVERIFY2(first.final_status == api::RunStatus::Completed, first.message.c_str());
        c.train.steps = 40;
        const auto second = test::run_to_end(c, ck, /*resume=*/true);
        QVERIFY2(second.final_status == api::RunStatus::Completed, second.message.c_str());
        const double before = first.series("energy/joules").back();
        QVERIFY(second.series("energy/joules").front() >= before);
        for (const auto& e : second.events)
            if (e.kind == api::EventKind::Attribute && e.name == "energy")
                QCOMPARE(nlohmann::json::parse(e.payload)["from_step"].get<int64_t>(), int64_t{0});
    }
};

QTEST_GUILESS_MAIN(TestEnergy)
#include "test_energy.moc"
