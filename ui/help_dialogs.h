// The Help menu's two boxes: every keyboard shortcut of the window, and About with the versions
// and the hardware the engine sees (what a bug report needs).
#pragma once

#include <QString>

class QWidget;

namespace wb::ui {

/// "Ctrl+O<tab>Load config…" lines, one per action of `window` that has a shortcut, plus the
/// shortcuts that belong to no action (Del in the history, double-click on a run).
QString shortcutsText(const QWidget* window);
/// Version, Qt, LibTorch, CPU and GPU from the engine's environment JSON, as rich text.
QString aboutText(const QString& environmentJson);

void showShortcuts(QWidget* window);
void showAbout(QWidget* window, const QString& environmentJson);

}  // namespace wb::ui
