#include "ui/run_summary.h"

#include "engine/api/energy_info.h"
#include "engine/api/fid_extractor_info.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ui/metric_roles.h"

namespace wb::ui {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QVector<double> finite(const QVector<double>& values) {
    QVector<double> out;
    out.reserve(values.size());
    for (double v : values)
        if (std::isfinite(v)) out.append(v);
    return out;
}

const QVector<double>* series(const RunTrace& t, const QString& name) {
    const auto it = t.metrics.find(name);
    return it == t.metrics.end() ? nullptr : &it->second.values;
}

}  // namespace

QString fidExtractorNote(const QString& metric, const std::string& env_json) {
    if (metric != QLatin1String("quality/fid") && metric != QLatin1String("quality/kid")) return {};
    const auto info = api::fid_extractor_of(env_json);
    if (!info) return {};
    return QStringLiteral(" (extractor %1%%2)")
        .arg(100.0 * info->test_accuracy, 0, 'f', 2)
        .arg(info->canonical ? QString() : QStringLiteral(", not canonical"));
}

QString energyNote(const QString& metric, const std::string& env_json) {
    if (!api::is_energy_metric(metric.toStdString())) return {};
    const std::string q = api::energy_qualifier(env_json);
    return q.empty() ? QString() : QStringLiteral(" (%1)").arg(QString::fromStdString(q));
}

RunSummary RunSummary::of(const RunTrace& t) {
    QStringList names;
    for (const auto& [name, s] : t.metrics) names << name;
    RunSummary r;
    r.model = t.model;
    r.lossMetric = headlineLoss(names, t.model);
    r.qualityMetric = headlineQuality(names, t.model);
    r.throughputMetric = headlineThroughput(names, t.model);
    r.memoryMetric = headlineMemory(names, t.model);
    r.energyMetric = headlineEnergy(names, t.model);
    r.finalLoss = r.bestQuality = r.medianThroughput = r.peakMemoryMiB = r.totalEnergy = kNaN;
    r.wall_s = t.wall_s;

    if (const auto* v = series(t, r.lossMetric)) {
        // The last finite value: a run that ended in NaN still shows where it got to.
        for (auto it = v->rbegin(); it != v->rend(); ++it)
            if (std::isfinite(*it)) {
                r.finalLoss = *it;
                break;
            }
    }
    if (const auto* v = series(t, r.energyMetric); v && !finite(*v).isEmpty())
        r.totalEnergy = finite(*v).back();  // cumulative: the last value is the run's total
    if (const auto* v = series(t, r.qualityMetric); v && !finite(*v).isEmpty()) {
        const QVector<double> q = finite(*v);
        switch (betterDirection(r.qualityMetric, t.model)) {
            case api::Better::Higher:
                r.bestQuality = *std::max_element(q.begin(), q.end());
                break;
            case api::Better::Lower:
                r.bestQuality = *std::min_element(q.begin(), q.end());
                break;
            case api::Better::None:  // no best without a direction: the last value
                r.bestQuality = q.back();
                break;
        }
    }
    if (const auto* v = series(t, r.throughputMetric); v && !finite(*v).isEmpty()) {
        QVector<double> q = finite(*v);
        const auto mid = q.begin() + q.size() / 2;
        std::nth_element(q.begin(), mid, q.end());
        r.medianThroughput = *mid;
    }
    if (const auto* v = series(t, r.memoryMetric); v && !finite(*v).isEmpty()) {
        const QVector<double> q = finite(*v);
        const double peak = *std::max_element(q.begin(), q.end());
        r.peakMemoryMiB = peak * displayScale(r.memoryMetric, t.model);
    }
    return r;
}

double percentDelta(double value, double baseline) {
    if (!std::isfinite(value) || !std::isfinite(baseline) || baseline == 0) return kNaN;
    return (value - baseline) / std::abs(baseline) * 100.0;
}

}  // namespace wb::ui
