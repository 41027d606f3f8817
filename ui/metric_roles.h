// Which metric stands for a run's loss, quality, throughput and memory in tables, and which way
// is better. Metric names are the engine's stable slash-namespaced strings (run_event.h).
#pragma once

#include <QString>
#include <QStringList>

namespace wb::ui {

/// The loss that best says how far a run got: held-out before training loss, the generator's
/// for GANs. Empty when `names` has no loss/*.
QString headlineLoss(const QStringList& names);
/// The first quality/* metric; empty when there is none.
QString headlineQuality(const QStringList& names);
QString headlineThroughput(const QStringList& names);
/// Peak memory when the run reports it, else any memory metric.
QString headlineMemory(const QStringList& names);
/// Byte counts are plotted in MiB: the factor to multiply stored values by, and the unit.
double displayScale(const QString& metric);
QString displayUnit(const QString& metric);
/// Plot order: losses, quality, throughput, memory, then the rest by name.
bool metricOrder(const QString& a, const QString& b);
/// Quality metrics like modes covered grow when a model improves; distances (FID, MSE) shrink.
bool higherIsBetter(const QString& metric);

}  // namespace wb::ui
