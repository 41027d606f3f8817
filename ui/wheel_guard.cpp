#include "ui/wheel_guard.h"

#include <QEvent>
#include <QWidget>

namespace wb::ui {

void WheelGuard::install(QWidget* editor) {
    editor->setFocusPolicy(Qt::StrongFocus);
    editor->installEventFilter(new WheelGuard(editor));
}

bool WheelGuard::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() != QEvent::Wheel) return QObject::eventFilter(watched, event);
    const auto* widget = qobject_cast<QWidget*>(watched);
    if (widget && widget->hasFocus()) return false;
    // Ignored and swallowed: the editor never sees it, and Qt hands it on to the parents, so
    // the scroll area around the form scrolls instead.
    event->ignore();
    return true;
}

}  // namespace wb::ui
