#include "ui/metric_roles.h"

#include <QObject>

namespace wb::ui {
namespace {

// The first catalog row of `group`, in the catalog's order of preference, that `names` has and
// that describes it for `kind`.
QString headline(const QStringList& names, const QString& kind, api::PlotGroup group) {
    const std::string k = kind.toStdString();
    for (const api::MetricInfo& m : api::metric_catalog()) {
        if (m.group != group) continue;
        const QString name = QString::fromStdString(m.name);
        if (names.contains(name) && api::find_metric(m.name, k) == &m) return name;
    }
    return {};
}

int groupRank(api::PlotGroup g) {
    // Other sorts last although it is the enum's zero ("not set").
    return g == api::PlotGroup::Other ? 1000 : static_cast<int>(g);
}

}  // namespace

QString headlineLoss(const QStringList& names, const QString& kind) {
    return headline(names, kind, api::PlotGroup::Loss);
}

QString headlineQuality(const QStringList& names, const QString& kind) {
    return headline(names, kind, api::PlotGroup::Quality);
}

QString headlineThroughput(const QStringList& names, const QString& kind) {
    return headline(names, kind, api::PlotGroup::Throughput);
}

QString headlineMemory(const QStringList& names, const QString& kind) {
    return headline(names, kind, api::PlotGroup::Memory);
}

QString headlineEnergy(const QStringList& names, const QString& kind) {
    return headline(names, kind, api::PlotGroup::Energy);
}

const api::MetricInfo* metricInfo(const QString& metric, const QString& kind) {
    return api::find_metric(metric.toStdString(), kind.toStdString());
}

api::PlotGroup plotGroup(const QString& metric, const QString& kind) {
    const api::MetricInfo* m = metricInfo(metric, kind);
    return m ? m->group : api::PlotGroup::Other;
}

api::Better betterDirection(const QString& metric, const QString& kind) {
    const api::MetricInfo* m = metricInfo(metric, kind);
    return m ? m->better : api::Better::None;
}

double displayScale(const QString& metric, const QString& kind) {
    const api::MetricInfo* m = metricInfo(metric, kind);
    return m && m->unit == "bytes" ? 1.0 / (1024.0 * 1024.0) : 1.0;
}

QString displayUnit(const QString& metric, const QString& kind) {
    const api::MetricInfo* m = metricInfo(metric, kind);
    if (!m) return {};
    return m->unit == "bytes" ? QStringLiteral("MiB") : QString::fromStdString(m->unit);
}

QString metricDescription(const QString& metric, const QString& kind) {
    const api::MetricInfo* m = metricInfo(metric, kind);
    if (!m) return QObject::tr("%1 (not in the metric catalog)").arg(metric);
    const QString unit = displayUnit(metric, kind);
    const QString direction = QString::fromLatin1(api::to_string(m->better));
    return QStringLiteral("%1 (%2): %3")
        .arg(metric, unit.isEmpty() ? direction : unit + QStringLiteral(", ") + direction,
             QString::fromStdString(m->meaning));
}

bool metricOrder(const QString& a, const QString& b) {
    const int ga = groupRank(plotGroup(a, {}));
    const int gb = groupRank(plotGroup(b, {}));
    return ga != gb ? ga < gb : a < b;
}

}  // namespace wb::ui
