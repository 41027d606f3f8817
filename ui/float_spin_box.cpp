#include "ui/float_spin_box.h"

#include <algorithm>
#include <cmath>

#include <QRegularExpression>

namespace wb::ui {
namespace {

// Next value of the 1-2-5 sequence above (dir > 0) or below (dir < 0) `v`.
double niceNeighbour(double v, int dir) {
    const double decade = std::pow(10.0, std::floor(std::log10(v)));
    constexpr double kTolerance = 1e-9;
    if (dir > 0) {
        for (double m : {1.0, 2.0, 5.0, 10.0})
            if (m * decade > v * (1 + kTolerance)) return m * decade;
        return 20 * decade;
    }
    for (double m : {5.0, 2.0, 1.0, 0.5})
        if (m * decade < v * (1 - kTolerance)) return m * decade;
    return 0.2 * decade;
}

}  // namespace

FloatSpinBox::FloatSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
    // Enough for the smallest learning rate in the schema; the text shows only what matters.
    setDecimals(12);
    setKeyboardTracking(false);
}

void FloatSpinBox::setLogStepping(bool on) {
    m_logStepping = on;
}

void FloatSpinBox::stepBy(int steps) {
    if (!m_logStepping) {
        QDoubleSpinBox::stepBy(steps);
        return;
    }
    double v = value();
    if (v <= 0) v = minimum() > 0 ? minimum() : 1e-7;
    for (int i = 0; i < std::abs(steps); ++i) v = niceNeighbour(v, steps > 0 ? 1 : -1);
    setValue(std::clamp(v, minimum(), maximum()));
    selectAll();
}

QAbstractSpinBox::StepEnabled FloatSpinBox::stepEnabled() const {
    StepEnabled e = StepNone;
    if (value() > minimum()) e |= StepDownEnabled;
    if (value() < maximum()) e |= StepUpEnabled;
    return e;
}

QString FloatSpinBox::textFromValue(double value) const {
    return locale().toString(value, 'g', 6);
}

double FloatSpinBox::valueFromText(const QString& text) const {
    bool ok = false;
    double v = locale().toDouble(text.trimmed(), &ok);
    if (!ok) v = text.trimmed().toDouble(&ok);
    return ok ? v : value();
}

QValidator::State FloatSpinBox::validate(QString& text, int& pos) const {
    Q_UNUSED(pos)
    const QString t = text.trimmed();
    bool ok = false;
    double v = locale().toDouble(t, &ok);
    if (!ok) v = t.toDouble(&ok);
    if (ok)
        return v >= minimum() && v <= maximum() ? QValidator::Acceptable : QValidator::Intermediate;
    // Half-typed numbers ("1e-", "0.") must be allowed on the way to a valid one.
    static const QRegularExpression kPartial(
        QStringLiteral("^[+-]?[0-9]*[.,]?[0-9]*([eE][+-]?[0-9]*)?$"));
    return kPartial.match(t).hasMatch() ? QValidator::Intermediate : QValidator::Invalid;
}

}  // namespace wb::ui
