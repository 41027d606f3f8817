// What the engine's bookkeeping costs: the same preset trained three ways, alternating, in one
// process: `bare` (the trainer's begin_step/step/end_step in a loop on a thread of its own, the
// same training work as a run's loop: no events, no SQLite), `events` (TorchEngine, whose run
// loop emits every metric, drained every 100 ms and discarded) and `recorded` (the CLI's loop:
// TorchEngine drained every 100 ms into the SQLite Recorder). malloc is tuned first, as
// TorchEngine does in workbench-cli and the app. Prints one JSON object with the steady-state
// steps/s of each round (steps warmup+1..steps) and, for the engine modes, the share of loop time
// outside the trainer's steps; bench/run takes the median of the per-round ratios.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/api/paths.h"
#include "engine/api/presets.h"
#include "engine/malloc_tuning.h"
#include "engine/torch_engine.h"
#include "engine/train/model_registry.h"
#include "storage/recorder.h"
#include "storage/run_store.h"

namespace fs = std::filesystem;
using namespace wb;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::string preset = "gan-mixture2d";
    std::vector<std::string> sets;
    int64_t steps = 1000, warmup = 100, threads = 1, rounds = 3;
    std::string dir = "bench-bookkeeping";
    std::vector<std::string> modes = {"bare", "events", "recorded"};
};

double bare(const api::RunConfig& cfg, const Options& o) {
    at::set_num_threads(static_cast<int>(o.threads));
    torch::manual_seed(static_cast<uint64_t>(cfg.train.seed));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(cfg.train.seed));
    auto trainer = engine::make_trainer(cfg, torch::Device(torch::kCPU), gen);
    Clock::time_point t0;
    for (int64_t s = 1; s <= o.steps; ++s) {
        trainer->begin_step(s - 1);
        auto out = trainer->step();
        trainer->end_step(out);
        if (s == o.warmup) t0 = Clock::now();
    }
    return static_cast<double>(o.steps - o.warmup) /
           std::chrono::duration<double>(Clock::now() - t0).count();
}

struct EngineRound {
    double steps_per_s = 0;
    /// Share of the run loop's wall time spent outside the trainer's steps (emitting events,
    /// memory figures, pause checks), in percent of the steps' own time: the bookkeeping cost
    /// measured inside one run, so immune to this VM's slow and fast phases.
    double outside_step_pct = 0;
};

// Trains through TorchEngine like the CLI; `recorder` null: the events are thrown away.
EngineRound through_engine(const api::RunConfig& cfg, const Options& o, storage::RunStore& store,
                           storage::Recorder* recorder) {
    auto engine = engine::make_torch_engine();
    const int64_t id = store.create_run("bookkeeping", cfg.model.kind, cfg.to_json().dump(),
                                        engine->environment_json(), cfg.train.steps, "");
    api::StartRequest request{id, cfg, api::run_files_dir(store.path(), id), false};
    if (auto errors = engine->start(request); !errors.empty())
        throw std::runtime_error(api::format_errors(errors));
    std::map<int64_t, double> wall;  // step -> wall_s of its time/step_ms point
    double step_s = 0;               // the trainer's own time over steps warmup+1..steps
    bool done = false;
    std::string failure;
    auto take = [&](std::vector<api::RunEvent> events) {
        for (const auto& e : events) {
            if (e.kind == api::EventKind::Metric && e.name == "time/step_ms") {
                if (e.step == o.warmup || e.step == o.steps) wall[e.step] = e.wall_s;
                if (e.step > o.warmup && e.step <= o.steps) step_s += e.value / 1e3;
            }
            if (e.kind == api::EventKind::Status && api::is_final(e.status)) {
                done = true;
                if (e.status == api::RunStatus::Failed) failure = e.payload;
            }
        }
        if (recorder) recorder->record(std::move(events));
    };
    while (!done) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        take(engine->drain());
    }
    engine->wait(id);
    take(engine->drain());
    if (recorder) recorder->flush();
    if (!failure.empty()) throw std::runtime_error("the run failed: " + failure);
    if (wall.size() != 2) throw std::runtime_error("missing time/step_ms points");
    const double span = wall[o.steps] - wall[o.warmup];
    return {static_cast<double>(o.steps - o.warmup) / span, (span / step_s - 1) * 100};
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--preset")
            o.preset = value();
        else if (a == "--set")
            o.sets.push_back(value());
        else if (a == "--steps")
            o.steps = std::stoll(value());
        else if (a == "--warmup")
            o.warmup = std::stoll(value());
        else if (a == "--threads")
            o.threads = std::stoll(value());
        else if (a == "--rounds")
            o.rounds = std::stoll(value());
        else if (a == "--dir")
            o.dir = value();
        else if (a == "--modes") {
            o.modes.clear();
            std::string list = value();
            for (std::size_t at = 0; at <= list.size();) {
                const std::size_t comma = std::min(list.find(',', at), list.size());
                const std::string m = list.substr(at, comma - at);
                if (m != "bare" && m != "events" && m != "recorded")
                    throw std::invalid_argument("unknown mode '" + m +
                                                "'; --modes takes bare,events,recorded");
                o.modes.push_back(m);
                at = comma + 1;
            }
        } else
            throw std::invalid_argument(
                "unknown argument " + a +
                "; use --preset NAME --set k=v --steps N --warmup W --threads T --rounds R "
                "--dir FOLDER --modes bare,events,recorded");
    }
    if (o.warmup < 1 || o.warmup >= o.steps)
        throw std::invalid_argument("--warmup must be in [1, --steps)");
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    // As workbench-cli and the app get it: TorchEngine tunes malloc before any other thread
    // exists, which here the Recorder's thread would prevent.
    const bool malloc_tuned = engine::keep_freed_memory_for_reuse();
    try {
        const Options o = parse(argc, argv);
        const api::Preset* preset = api::find_preset(o.preset);
        if (!preset) throw std::invalid_argument("no preset " + o.preset);
        api::RunConfig cfg = preset->config;
        std::vector<api::ConfigError> errors;
        std::vector<std::string> sets = {"train.steps=" + std::to_string(o.steps),
                                         "train.threads=" + std::to_string(o.threads),
                                         "eval.every_steps=0",
                                         "sample.every_steps=0",
                                         "checkpoint.every_steps=0",
                                         "device=cpu"};
        sets.insert(sets.end(), o.sets.begin(), o.sets.end());
        for (const auto& s : sets) {
            const auto eq = s.find('=');
            cfg.set(s.substr(0, eq), eq == std::string::npos ? "" : s.substr(eq + 1), &errors);
        }
        auto problems = cfg.validate();
        errors.insert(errors.end(), problems.begin(), problems.end());
        if (!errors.empty()) throw std::invalid_argument(api::format_errors(errors));

        fs::remove_all(o.dir);
        fs::create_directories(o.dir);
        const std::string db = (fs::path(o.dir) / "runs.sqlite").string();
        storage::RunStore store(db);
        storage::Recorder recorder(db);
        std::map<std::string, std::vector<double>> rates, outside;
        const std::vector<std::string>& modes = o.modes;
        for (int64_t r = 0; r < o.rounds; ++r) {
            for (std::size_t k = 0; k < modes.size(); ++k) {
                const std::string& mode = modes[(k + static_cast<std::size_t>(r)) % modes.size()];
                double rate = 0;
                if (mode == "bare") {
                    std::thread t([&] { rate = bare(cfg, o); });
                    t.join();
                } else {
                    const EngineRound round =
                        through_engine(cfg, o, store, mode == "recorded" ? &recorder : nullptr);
                    rate = round.steps_per_s;
                    outside[mode].push_back(round.outside_step_pct);
                }
                rates[mode].push_back(rate);
                std::fprintf(stderr, "bookkeeping %s round %lld %s: %.1f steps/s\n",
                             o.preset.c_str(), static_cast<long long>(r + 1), mode.c_str(), rate);
            }
        }
        nlohmann::json j = {{"preset", o.preset},
                            {"steps", o.steps},
                            {"warmup", o.warmup},
                            {"threads", o.threads},
                            {"steps_per_s", rates},
                            {"outside_step_pct", outside},
                            {"recorded_events", recorder.stats().events},
                            {"malloc_tuned", malloc_tuned}};
        std::cout << j.dump() << std::endl;
        fs::remove_all(o.dir);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_bookkeeping: %s\n", e.what());
        return 1;
    }
}
