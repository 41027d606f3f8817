// StreamingSession: the full window (recorder, plots, history) with a FakeEngine streaming metrics
// into a started run, and a probe that measures how late the UI event loop serves timers meanwhile.
// Shared by test_latency (which asserts bounds) and bench/bench_ui (which reports the numbers).
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include "storage/recorder.h"
#include "storage/run_store.h"
#include "tests/ui/fake_engine.h"
#include "ui/main_window.h"
#include "ui/run_controller.h"

namespace wb::test {

/// Ten catalogued metric names, two each for the loss, throughput and memory plots.
inline std::vector<std::string> streamedMetricNames() {
    return {"loss/g",
            "loss/d",
            "throughput/samples_per_s",
            "throughput/tokens_per_s",
            "memory/allocated_bytes",
            "memory/peak_bytes",
            "quality/modes_covered",
            "lr",
            "time/step_ms",
            "amp/loss_scale"};
}

struct LatencyStats {
    std::vector<double> lateMs;  ///< sorted, one per probe
    double at(double q) const {
        return lateMs.empty() ? 0
                              : lateMs[std::min(lateMs.size() - 1,
                                                static_cast<std::size_t>(q * lateMs.size()))];
    }
    double p50() const { return at(0.5); }
    double p99() const { return at(0.99); }
    double max() const { return lateMs.empty() ? 0 : lateMs.back(); }
};

/// Runs a plain event loop for `durationMs` (QTest::qWait sleeps between rounds, which would
/// hide or add latency) while a timer re-arms itself every `probeMs` and records its lateness.
inline LatencyStats probeEventLoop(int durationMs, int probeMs) {
    LatencyStats stats;
    QObject guard;  // a probe still pending at the end dies with it instead of firing later
    bool probing = true;
    QElapsedTimer clock;
    std::function<void()> arm = [&] {
        clock.restart();
        QTimer::singleShot(probeMs, Qt::PreciseTimer, &guard, [&] {
            stats.lateMs.push_back(clock.nsecsElapsed() / 1e6 - probeMs);
            if (probing) arm();
        });
    };
    arm();
    QEventLoop loop;
    QTimer::singleShot(durationMs, &loop, &QEventLoop::quit);
    loop.exec();
    probing = false;
    std::sort(stats.lateMs.begin(), stats.lateMs.end());
    return stats;
}

/// The main window on database `dbPath`, its recorder and a FakeEngine, with a started run.
class StreamingSession {
public:
    explicit StreamingSession(const std::string& dbPath)
        : store(dbPath),
          recorder(dbPath),
          controller(engine, store,
                     [this](const std::vector<api::RunEvent>& e) { recorder.record(e); }),
          window(controller, &store) {
        window.resize(1600, 1000);
        window.show();
    }

    /// Starts a run from the gan-mixture2d preset; returns its id (0 when it did not start).
    int64_t startRun() {
        window.selectPreset("gan-mixture2d");
        runId = window.startRun();
        return runId;
    }

    /// Streams `names` every step at `stepsPerS` while the event loop is probed for `durationMs`.
    LatencyStats stream(const std::vector<std::string>& names, double stepsPerS, int durationMs,
                        int probeMs) {
        engine.startStreaming(runId, names, stepsPerS);
        LatencyStats stats = probeEventLoop(durationMs, probeMs);
        engine.stopStreaming();
        controller.drainNow();
        return stats;
    }

    storage::RunStore store;
    storage::Recorder recorder;
    FakeEngine engine;
    ui::RunController controller;
    ui::MainWindow window;
    int64_t runId = 0;
};

}  // namespace wb::test
