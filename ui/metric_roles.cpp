#include "ui/metric_roles.h"

namespace wb::ui {
namespace {

QString firstWith(const QStringList& names, const QStringList& preferred, const QString& prefix) {
    for (const QString& p : preferred)
        if (names.contains(p)) return p;
    for (const QString& n : names)
        if (n.startsWith(prefix)) return n;
    return {};
}

}  // namespace

QString headlineLoss(const QStringList& names) {
    return firstWith(
        names,
        {QStringLiteral("loss/val"), QStringLiteral("loss/val_recon"), QStringLiteral("loss/train"),
         QStringLiteral("loss/recon"), QStringLiteral("loss/g")},
        QStringLiteral("loss/"));
}

QString headlineQuality(const QStringList& names) {
    return firstWith(names, {}, QStringLiteral("quality/"));
}

QString headlineThroughput(const QStringList& names) {
    return firstWith(names, {QStringLiteral("throughput/samples_per_s")},
                     QStringLiteral("throughput/"));
}

QString headlineMemory(const QStringList& names) {
    return firstWith(
        names, {QStringLiteral("memory/peak_bytes"), QStringLiteral("memory/allocated_bytes")},
        QStringLiteral("memory/"));
}

double displayScale(const QString& metric) {
    return metric.endsWith(QLatin1String("_bytes")) ? 1.0 / (1024.0 * 1024.0) : 1.0;
}

QString displayUnit(const QString& metric) {
    if (metric.endsWith(QLatin1String("_bytes"))) return QStringLiteral("MiB");
    if (metric.endsWith(QLatin1String("_per_s"))) return QStringLiteral("per second");
    if (metric.endsWith(QLatin1String("_ms"))) return QStringLiteral("ms");
    return {};
}

bool metricOrder(const QString& a, const QString& b) {
    static const QStringList kGroups = {QStringLiteral("loss/"), QStringLiteral("quality/"),
                                        QStringLiteral("throughput/"), QStringLiteral("memory/")};
    const auto group = [](const QString& m) {
        for (int i = 0; i < kGroups.size(); ++i)
            if (m.startsWith(kGroups[i])) return i;
        return static_cast<int>(kGroups.size());
    };
    const int ga = group(a);
    const int gb = group(b);
    return ga != gb ? ga < gb : a < b;
}

bool higherIsBetter(const QString& metric) {
    for (const char* lower : {"fid", "mse", "error", "perplexity", "distance"})
        if (metric.contains(QLatin1String(lower))) return false;
    return !metric.startsWith(QLatin1String("loss/"));
}

}  // namespace wb::ui
