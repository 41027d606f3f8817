// A main window's persisted layout: geometry, dock/toolbar state and every named splitter, put
// back so that the window fits the screen it opens on now (a larger monitor may be gone).
#pragma once

#include <QRect>

class QMainWindow;
class QSettings;
class QWidget;

namespace wb::ui {

/// `frame` shrunk to fit `available` and moved inside it; unchanged when it already fits.
QRect fittedGeometry(const QRect& frame, const QRect& available);
/// Applies fittedGeometry to `window` on the screen that holds most of it (else the primary).
void fitOnScreen(QWidget* window);

/// Restores what saveLayout wrote (a default size the first time), then fits it on screen.
void restoreLayout(QMainWindow* window, const QSettings& settings);
void saveLayout(const QMainWindow* window, QSettings& settings);

}  // namespace wb::ui
