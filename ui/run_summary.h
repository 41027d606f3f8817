// RunSummary: the few numbers that compare runs at a glance (final loss, best quality, median
// throughput, peak memory, energy, wall time), computed from a RunTrace, with deltas to a baseline.
#pragma once

#include <QString>

#include "ui/run_trace.h"

namespace wb::ui {

/// " (extractor 88.32%)" after an FID or KID whose run recorded its extractor, else empty: a
/// reader sees which features measured the number.
QString fidExtractorNote(const QString& metric, const std::string& env_json);
/// " (estimated)", " (partly estimated)" or " (measured)" after an energy, cost or carbon figure
/// whose run recorded its source; empty for other metrics and older runs.
QString energyNote(const QString& metric, const std::string& env_json);

struct RunSummary {
    QString model;  ///< model.kind: what the metrics mean depends on it (metric_catalog.h)
    /// Which metric each number comes from; empty when the run has none (value is NaN).
    QString lossMetric, qualityMetric, throughputMetric, memoryMetric, energyMetric;
    double finalLoss = 0;
    double bestQuality = 0;
    double medianThroughput = 0;
    double peakMemoryMiB = 0;
    double totalEnergy = 0;  ///< the last energy/joules: the run's whole energy
    double wall_s = 0;

    static RunSummary of(const RunTrace& trace);
};

/// (value - baseline) / |baseline| in percent; NaN when either is missing or the baseline is 0.
double percentDelta(double value, double baseline);

}  // namespace wb::ui
