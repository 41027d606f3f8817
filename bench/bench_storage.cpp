// Storage throughput: metric points/s through the Recorder (10 metrics per step, 100 steps per
// record() call as a 100 ms drain at 1000 steps/s hands them over), and the time RunStore takes to
// read 8 runs x 100,000 points (each run's metric names, then each series, as the compare view's
// RunTrace::load does): finished runs (packed series) on an open store and on a freshly opened
// one, the same points as live runs (one row per point), and what packing costs when a run
// finishes. Prints one JSON object.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/metric_fill.h"
#include "bench/timing.h"

namespace fs = std::filesystem;
using namespace wb;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

using bench::median;
using bench::thread_cpu_ms;

int main(int argc, char** argv) {
    try {
        int64_t ingest_points = 1'000'000, load_points = 100'000, rounds = 3;
        int load_runs = 8;
        std::string dir = "bench-storage";
        for (int i = 1; i + 1 < argc; i += 2) {
            const std::string a = argv[i];
            if (a == "--ingest-points")
                ingest_points = std::stoll(argv[i + 1]);
            else if (a == "--load-points")
                load_points = std::stoll(argv[i + 1]);
            else if (a == "--load-runs")
                load_runs = std::stoi(argv[i + 1]);
            else if (a == "--rounds")
                rounds = std::stoll(argv[i + 1]);
            else if (a == "--dir")
                dir = argv[i + 1];
            else
                throw std::invalid_argument("unknown argument " + a);
        }
        fs::remove_all(dir);
        fs::create_directories(dir);
        const std::vector<std::string> names = {"loss/g",
                                                "loss/d",
                                                "gan/d_real",
                                                "gan/d_fake",
                                                "lr",
                                                "time/step_ms",
                                                "throughput/samples_per_s",
                                                "memory/allocated_bytes",
                                                "memory/peak_bytes",
                                                "amp/loss_scale"};
        std::vector<double> ingest;
        for (int64_t r = 0; r < rounds; ++r) {
            const std::string db = (fs::path(dir) / ("ingest-" + std::to_string(r))).string();
            storage::RunStore store(db);
            storage::Recorder recorder(db);
            const int64_t id = store.create_run("ingest", "gan_mlp", "{}", "{}", 0, "");
            const int64_t steps = ingest_points / static_cast<int64_t>(names.size());
            const auto t0 = Clock::now();
            bench::record_metrics(recorder, id, names, steps, 100);
            const double s = seconds_since(t0);
            if (recorder.stats().events != static_cast<uint64_t>(steps * names.size()))
                throw std::runtime_error("the recorder lost events: " + recorder.last_error());
            ingest.push_back(static_cast<double>(steps * names.size()) / s);
            std::fprintf(stderr, "ingest round %lld: %.0f points/s\n",
                         static_cast<long long>(r + 1), ingest.back());
        }

        // Finished runs (read from their packed series), then the same data as live runs (rows).
        const std::string db = (fs::path(dir) / "compare.sqlite").string();
        std::vector<double> finish_ms;
        const auto ids = bench::make_compare_runs(db, load_runs, load_points, true, &finish_ms);
        const std::string live_db = (fs::path(dir) / "live.sqlite").string();
        const auto live_ids = bench::make_compare_runs(live_db, load_runs, load_points, false);
        auto load_all = [&](const storage::RunStore& store, const std::vector<int64_t>& run_ids) {
            std::size_t points = 0;
            for (int64_t id : run_ids)
                for (const auto& name : store.metric_names(id))
                    points += store.metrics(id, name).size();
            if (points != static_cast<std::size_t>(load_runs * load_points))
                throw std::runtime_error("read " + std::to_string(points) + " points");
        };
        storage::RunStore store(db);
        storage::RunStore live_store(live_db);
        std::vector<double> load_ms, load_cpu_ms, first_load_ms, rows_load_ms;
        for (int64_t r = 0; r < rounds; ++r) {
            {
                // The first read after opening the file, as the app's first compare does.
                storage::RunStore fresh(db);
                const auto t0 = Clock::now();
                load_all(fresh, ids);
                first_load_ms.push_back(seconds_since(t0) * 1e3);
            }
            auto t0 = Clock::now();
            const double c0 = thread_cpu_ms();
            load_all(store, ids);
            load_ms.push_back(seconds_since(t0) * 1e3);
            load_cpu_ms.push_back(thread_cpu_ms() - c0);
            t0 = Clock::now();
            load_all(live_store, live_ids);
            rows_load_ms.push_back(seconds_since(t0) * 1e3);
        }
        nlohmann::json j = {{"ingest_points_per_s", ingest},
                            {"ingest_points_per_s_median", median(ingest)},
                            {"load_runs", load_runs},
                            {"load_points_per_run", load_points},
                            {"runstore_load_ms", load_ms},
                            {"runstore_load_ms_median", median(load_ms)},
                            {"runstore_load_cpu_ms", load_cpu_ms},
                            {"runstore_first_load_ms", first_load_ms},
                            {"runstore_first_load_ms_median", median(first_load_ms)},
                            {"runstore_rows_load_ms", rows_load_ms},
                            {"runstore_rows_load_ms_median", median(rows_load_ms)},
                            {"finish_pack_ms", finish_ms},
                            {"finish_pack_ms_median", median(finish_ms)}};
        std::cout << j.dump() << std::endl;
        fs::remove_all(dir);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_storage: %s\n", e.what());
        return 1;
    }
}
