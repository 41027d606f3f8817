// Short, human-readable renderings of durations, rates and statuses shared by the panels, so
// that the history table, the live view and the compare view write them the same way.
#pragma once

#include <QColor>
#include <QString>

#include "engine/api/run_event.h"

namespace wb::ui {

/// "45 s", "3 min 05 s", "2 h 07 min"; "–" for negative or non-finite values.
QString formatDuration(double seconds);
/// Compact number for tables: "0.0123", "1.23e-05", "12,345".
QString formatValue(double value);
/// "running", "completed", ...: the storage spelling, which users also see in the CLI.
QString statusText(api::RunStatus status);
/// A colour that tells live, good and bad states apart at a glance.
QColor statusColor(api::RunStatus status);

}  // namespace wb::ui
