// RunTrace: what the UI keeps of one run to show it: metric series, latest sample, log lines and
// progress. Filled from live event batches, or loaded from the RunStore for a stored run.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <QByteArray>
#include <QString>
#include <QVector>

#include "engine/api/run_event.h"

namespace wb::storage {
class RunStore;
}

namespace wb::ui {

struct MetricSeries {
    QVector<double> steps;
    QVector<double> walls;  ///< seconds of training time
    QVector<double> values;
};

struct TraceSample {
    QString kind;  ///< api::kSamplePng, kSampleText, kSamplePoints
    QByteArray data;
    int64_t step = 0;
};

struct TraceLogLine {
    int64_t step = 0;
    QString level;  ///< info | warning | error
    QString text;
};

struct RunTrace {
    int64_t id = 0;
    QString name;
    QString model;
    QString configJson;  ///< filled by load(); live traces leave it empty
    QString envJson;     ///< likewise: the run's environment (device, FID extractor, ...)
    api::RunStatus status = api::RunStatus::Unset;
    QString statusMessage;
    int64_t step = 0;
    int64_t totalSteps = 0;
    double wall_s = 0;
    std::map<QString, MetricSeries> metrics;
    TraceSample sample;    ///< the latest one; kind is empty until one arrives
    int sampleSerial = 0;  ///< counts samples, so a view can tell that a new one arrived
    std::vector<TraceLogLine> log;

    void append(const api::RunEvent& event);
    /// Everything the store has of run `id`. Throws storage::StorageError.
    static RunTrace load(const storage::RunStore& store, int64_t id);
};

}  // namespace wb::ui
