#include "ui/formatting.h"

#include <cmath>

#include <QLocale>

namespace wb::ui {

QString formatDuration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return QStringLiteral("–");
    const auto total = static_cast<long long>(std::llround(seconds));
    if (total < 60) return QStringLiteral("%1 s").arg(total);
    if (total < 3600)
        return QStringLiteral("%1 min %2 s")
            .arg(total / 60)
            .arg(total % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 h %2 min")
        .arg(total / 3600)
        .arg((total % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QString formatValue(double value) {
    if (std::isnan(value)) return QStringLiteral("NaN");
    if (std::isinf(value)) return value > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
    const double a = std::abs(value);
    if (a >= 10000) return QLocale().toString(value, 'f', 0);
    if (a != 0 && a < 1e-3) return QLocale().toString(value, 'g', 3);
    return QLocale().toString(value, 'g', 4);
}

QString statusText(api::RunStatus status) {
    return status == api::RunStatus::Unset ? QStringLiteral("–")
                                           : QString::fromLatin1(api::to_string(status));
}

QColor statusColor(api::RunStatus status) {
    switch (status) {
        case api::RunStatus::Running:
            return QColor(0x2e, 0x8b, 0x3e);
        case api::RunStatus::Queued:
        case api::RunStatus::Paused:
            return QColor(0xc7, 0x7c, 0x02);
        case api::RunStatus::Completed:
            return QColor(0x2a, 0x5d, 0xa8);
        case api::RunStatus::Failed:
            return QColor(0xd0, 0x30, 0x2f);
        case api::RunStatus::Stopped:
        case api::RunStatus::Interrupted:
            return QColor(0x70, 0x70, 0x70);
        case api::RunStatus::Unset:
            break;
    }
    return QColor(0x70, 0x70, 0x70);
}

}  // namespace wb::ui
