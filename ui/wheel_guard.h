// WheelGuard: keeps the mouse wheel from changing spin boxes and combo boxes that the user is only
// scrolling past; they take the wheel once they have focus (clicked or tabbed into).
#pragma once

#include <QObject>

class QWidget;

namespace wb::ui {

class WheelGuard final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WheelGuard)

public:
    /// Guards `editor` (parents the guard to it) and gives it Qt::StrongFocus, so that a wheel
    /// turn over it no longer focuses it either.
    static void install(QWidget* editor);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    explicit WheelGuard(QObject* parent) : QObject(parent) {}
};

}  // namespace wb::ui
