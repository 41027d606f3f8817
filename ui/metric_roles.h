// What the metric catalog (engine/api/metric_catalog.h) says about a metric, in the UI's terms:
// which metric heads a run's loss, quality, throughput, memory and energy, its plot, unit and
// direction.
#pragma once

#include <QString>
#include <QStringList>

#include "engine/api/metric_catalog.h"

namespace wb::ui {

/// The loss that best says how far a run of model.kind `kind` got: held-out before training
/// loss, the generator's for GANs. Empty when `names` has no catalogued loss.
QString headlineLoss(const QStringList& names, const QString& kind);
/// FID when the run measures it, else the coverage of a 2-D mixture; empty when there is none.
QString headlineQuality(const QStringList& names, const QString& kind);
QString headlineThroughput(const QStringList& names, const QString& kind);
/// Peak memory when the run reports it, else the current.
QString headlineMemory(const QStringList& names, const QString& kind);
/// The run's energy (energy/joules) when it was measured or estimated; empty for older runs.
QString headlineEnergy(const QStringList& names, const QString& kind);

/// nullptr for a name the catalog does not have (it still plots, under "Other").
const api::MetricInfo* metricInfo(const QString& metric, const QString& kind);
api::PlotGroup plotGroup(const QString& metric, const QString& kind);
/// Better::None for a name the catalog does not have.
api::Better betterDirection(const QString& metric, const QString& kind);
/// Byte counts are shown in MiB: the factor to multiply stored values by, and the unit shown.
double displayScale(const QString& metric, const QString& kind);
QString displayUnit(const QString& metric, const QString& kind);
/// "loss/val (nats/token, lower is better): cross-entropy of ...", for tooltips.
QString metricDescription(const QString& metric, const QString& kind);
/// Plot order: the catalog's groups (losses, quality, throughput, memory), then the rest by name.
bool metricOrder(const QString& a, const QString& b);

}  // namespace wb::ui
