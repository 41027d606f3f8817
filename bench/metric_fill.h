// Synthetic metric streams for the storage and plotting benchmarks: what a run records, in the
// batches a 100 ms drain hands to the Recorder.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/recorder.h"
#include "storage/run_store.h"

namespace wb::bench {

/// Records `steps` steps of every name in `names` for run `run`, `steps_per_batch` steps per
/// Recorder::record() call, and waits until they are committed.
inline void record_metrics(storage::Recorder& recorder, int64_t run,
                           const std::vector<std::string>& names, int64_t steps,
                           int64_t steps_per_batch) {
    for (int64_t first = 1; first <= steps; first += steps_per_batch) {
        std::vector<api::RunEvent> batch;
        const int64_t last = std::min(steps, first + steps_per_batch - 1);
        batch.reserve(static_cast<std::size_t>((last - first + 1)) * names.size());
        for (int64_t s = first; s <= last; ++s)
            for (std::size_t i = 0; i < names.size(); ++i)
                batch.push_back(api::RunEvent::metric(
                    run, s, s * 0.004, names[i],
                    1.0 / (1.0 + s * 1e-3) + 0.05 * std::sin(s * 0.1) + 0.1 * i));
        recorder.record(std::move(batch));
    }
    recorder.flush();
}

/// `runs` runs with one `points`-point loss/g curve each, in the database at `db`; their ids.
/// Marked completed (which packs their series) unless `finish` is false; `finish_ms` gets the
/// time each of those status changes took.
inline std::vector<int64_t> make_compare_runs(const std::string& db, int runs, int64_t points,
                                              bool finish = true,
                                              std::vector<double>* finish_ms = nullptr) {
    storage::RunStore store(db);
    storage::Recorder recorder(db);
    std::vector<int64_t> ids;
    for (int r = 0; r < runs; ++r) {
        ids.push_back(
            store.create_run("compare-" + std::to_string(r), "gan_mlp", "{}", "{}", points, ""));
        record_metrics(recorder, ids.back(), {"loss/g"}, points, 10000);
        if (!finish) continue;
        const auto t0 = std::chrono::steady_clock::now();
        store.set_status(ids.back(), api::RunStatus::Completed);
        if (finish_ms != nullptr)
            finish_ms->push_back(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count());
    }
    return ids;
}

}  // namespace wb::bench
