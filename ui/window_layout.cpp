#include "ui/window_layout.h"

#include <algorithm>

#include <QGuiApplication>
#include <QMainWindow>
#include <QScreen>
#include <QSettings>
#include <QSplitter>

namespace wb::ui {

QRect fittedGeometry(const QRect& frame, const QRect& available) {
    if (available.isEmpty() || available.contains(frame)) return frame;
    QRect r = frame;
    r.setWidth(std::min(r.width(), available.width()));
    r.setHeight(std::min(r.height(), available.height()));
    r.moveLeft(std::clamp(r.left(), available.left(), available.right() - r.width() + 1));
    r.moveTop(std::clamp(r.top(), available.top(), available.bottom() - r.height() + 1));
    return r;
}

void fitOnScreen(QWidget* window) {
    QScreen* screen = QGuiApplication::screenAt(window->frameGeometry().center());
    if (!screen) screen = QGuiApplication::primaryScreen();
    if (!screen) return;
    const QRect available = screen->availableGeometry();
    // The frame (title bar, borders) must fit, not only the client area.
    const QRect frame = window->frameGeometry();
    const QRect fitted = fittedGeometry(frame, available);
    if (fitted == frame) return;
    const QMargins decoration(
        window->geometry().left() - frame.left(), window->geometry().top() - frame.top(),
        frame.right() - window->geometry().right(), frame.bottom() - window->geometry().bottom());
    window->setGeometry(fitted.marginsRemoved(decoration));
}

void restoreLayout(QMainWindow* window, const QSettings& settings) {
    if (!window->restoreGeometry(settings.value("window/geometry").toByteArray()))
        window->resize(1600, 1000);
    fitOnScreen(window);
    window->restoreState(settings.value("window/state").toByteArray());
    // Every named splitter, the panels' own included.
    for (QSplitter* split : window->findChildren<QSplitter*>())
        if (!split->objectName().isEmpty())
            split->restoreState(settings.value("splitters/" + split->objectName()).toByteArray());
}

void saveLayout(const QMainWindow* window, QSettings& settings) {
    settings.setValue("window/geometry", window->saveGeometry());
    settings.setValue("window/state", window->saveState());
    for (QSplitter* split : window->findChildren<QSplitter*>())
        if (!split->objectName().isEmpty())
            settings.setValue("splitters/" + split->objectName(), split->saveState());
}

}  // namespace wb::ui
