// UI-side costs, offscreen: loading 8 runs x 100,000 points the way the compare view does
// (RunTrace::load per run, then the whole CompareView::setRuns with its plots), replotting
// 8 curves x 1,000,000 points in a MetricPlot, and the event-loop latency while a (fake) run
// streams 10 metrics at 2000 steps/s into the main window. Prints one JSON object.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <QApplication>
#include <QStandardPaths>

#include <nlohmann/json.hpp>

#include "bench/metric_fill.h"
#include "bench/timing.h"
#include "tests/ui/streaming_session.h"
#include "ui/compare_view.h"
#include "ui/metric_plot.h"
#include "ui/run_trace.h"

namespace fs = std::filesystem;
using namespace wb;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

}  // namespace

using bench::median;
using bench::thread_cpu_ms;

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);  // the main window's settings stay out of $HOME
    QCoreApplication::setOrganizationName("genai-workbench-bench");
    QCoreApplication::setApplicationName("bench_ui");
    int64_t load_points = 100'000, plot_points = 1'000'000, rounds = 5;
    int runs = 8, stream_ms = 4000;
    std::string dir = "bench-ui";
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        const QString a = args[i];
        const qlonglong v = args[i + 1].toLongLong();
        if (a == "--load-points")
            load_points = v;
        else if (a == "--plot-points")
            plot_points = v;
        else if (a == "--runs")
            runs = static_cast<int>(v);
        else if (a == "--rounds")
            rounds = v;
        else if (a == "--stream-ms")
            stream_ms = static_cast<int>(v);
        else if (a == "--dir")
            dir = args[i + 1].toStdString();
        else {
            std::fprintf(stderr, "bench_ui: unknown argument %s\n", qPrintable(a));
            return 1;
        }
    }
    try {
        fs::remove_all(dir);
        fs::create_directories(dir);
        nlohmann::json j;

        // Compare view: 8 runs x 100k points.
        const std::string db = (fs::path(dir) / "compare.sqlite").string();
        const auto ids = bench::make_compare_runs(db, runs, load_points);
        storage::RunStore store(db);
        std::vector<double> trace_ms, trace_cpu_ms, view_ms;
        for (int64_t r = 0; r < rounds; ++r) {
            auto t0 = Clock::now();
            const double c0 = thread_cpu_ms();
            std::size_t points = 0;
            for (int64_t id : ids)
                points += ui::RunTrace::load(store, id).metrics["loss/g"].values.size();
            trace_ms.push_back(ms_since(t0));
            trace_cpu_ms.push_back(thread_cpu_ms() - c0);
            if (points != static_cast<std::size_t>(runs * load_points))
                throw std::runtime_error("loaded " + std::to_string(points) + " points");
            ui::CompareView view;
            view.resize(1400, 900);
            view.setStore(&store);
            t0 = Clock::now();
            view.setRuns(ids);
            view_ms.push_back(ms_since(t0));
        }
        j["compare_runs"] = runs;
        j["compare_points_per_run"] = load_points;
        j["compare_load_ms"] = trace_ms;
        j["compare_load_ms_median"] = median(trace_ms);
        j["compare_load_cpu_ms"] = trace_cpu_ms;
        j["compare_setruns_ms"] = view_ms;
        j["compare_setruns_ms_median"] = median(view_ms);

        // Replot: 8 curves x 1M points, the live and compare views' plot class with its default
        // smoothing (each series is drawn raw plus an EMA line).
        {
            ui::MetricPlot plot(QStringLiteral("loss/g"));
            plot.resize(1200, 700);
            plot.show();
            QVector<double> keys(static_cast<int>(plot_points)), values(keys.size());
            for (int c = 0; c < runs; ++c) {
                for (int i = 0; i < keys.size(); ++i) {
                    keys[i] = i;
                    values[i] = 1.0 / (1.0 + i * 1e-5) + 0.05 * std::sin(i * 0.01 + c) + 0.1 * c;
                }
                plot.append(QStringLiteral("run %1").arg(c), keys, values);
            }
            plot.refresh();  // fits the axes once, as a new view does
            std::vector<double> replot_ms, replot_cpu_ms;
            for (int64_t r = 0; r < rounds; ++r) {
                const auto t0 = Clock::now();
                const double c0 = thread_cpu_ms();
                plot.replot(QCustomPlot::rpImmediateRefresh);
                replot_ms.push_back(ms_since(t0));
                replot_cpu_ms.push_back(thread_cpu_ms() - c0);
            }
            j["replot_cpu_ms"] = replot_cpu_ms;
            j["replot_curves"] = runs;
            j["replot_points_per_curve"] = plot_points;
            j["replot_ms"] = replot_ms;
            j["replot_ms_median"] = median(replot_ms);
        }

        // Event-loop latency while a run streams into the main window.
        {
            constexpr double kStepsPerS = 2000;
            test::StreamingSession session((fs::path(dir) / "live.sqlite").string());
            if (session.startRun() <= 0) throw std::runtime_error("the run did not start");
            const auto names = test::streamedMetricNames();
            const auto stats = session.stream(names, kStepsPerS, stream_ms, 5);
            j["latency_events_per_s"] =
                session.engine.streamedSteps() * names.size() / (stream_ms / 1000.0);
            j["latency_probes"] = stats.lateMs.size();
            j["latency_p50_ms"] = stats.p50();
            j["latency_p99_ms"] = stats.p99();
            j["latency_max_ms"] = stats.max();
        }
        std::cout << j.dump() << std::endl;
        fs::remove_all(dir);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_ui: %s\n", e.what());
        return 1;
    }
}
