// FloatSpinBox: a spin box for real-valued config fields that shows values compactly (1e-05,
// 0.999) and accepts scientific notation; log-scale fields step along 1, 2, 5, 10, 20, ...
#pragma once

#include <QDoubleSpinBox>

namespace wb::ui {

class FloatSpinBox final : public QDoubleSpinBox {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FloatSpinBox)

public:
    explicit FloatSpinBox(QWidget* parent = nullptr);

    /// Log-scale fields (learning rates) span decades, where a fixed step is useless.
    void setLogStepping(bool on);
    bool logStepping() const { return m_logStepping; }

    void stepBy(int steps) override;
    QString textFromValue(double value) const override;
    double valueFromText(const QString& text) const override;
    QValidator::State validate(QString& text, int& pos) const override;

protected:
    StepEnabled stepEnabled() const override;

private:
    bool m_logStepping = false;
};

}  // namespace wb::ui
