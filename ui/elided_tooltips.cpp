#include "ui/elided_tooltips.h"

#include <QAbstractItemView>
#include <QHelpEvent>
#include <QToolTip>

namespace wb::ui {

ElidedToolTips::ElidedToolTips(QAbstractItemView* view) : QObject(view), m_view(view) {}

void ElidedToolTips::install(QAbstractItemView* view) {
    view->viewport()->installEventFilter(new ElidedToolTips(view));
}

QString ElidedToolTips::toolTipAt(const QAbstractItemView* view, const QPoint& pos) {
    const QModelIndex index = view->indexAt(pos);
    if (!index.isValid()) return {};
    const QString shown = index.data(Qt::DisplayRole).toString();
    // The edit text is the whole value where the cell shows a part (the first line of notes).
    QString whole = index.data(Qt::EditRole).toString();
    if (whole.isEmpty()) whole = shown;
    // The delegate's margins, about a character each side, count against the column.
    const int margin = view->fontMetrics().horizontalAdvance(QLatin1Char('M'));
    const bool cut =
        view->fontMetrics().horizontalAdvance(shown) + margin > view->visualRect(index).width() ||
        whole != shown;
    if (!cut || whole.isEmpty()) return {};
    const QString own = index.data(Qt::ToolTipRole).toString();
    return own.isEmpty() || own == whole ? whole : whole + QStringLiteral("\n\n") + own;
}

bool ElidedToolTips::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() != QEvent::ToolTip) return QObject::eventFilter(watched, event);
    const auto* help = static_cast<QHelpEvent*>(event);
    const QString tip = toolTipAt(m_view, help->pos());
    if (tip.isEmpty()) return false;
    QToolTip::showText(help->globalPos(), tip, m_view->viewport(),
                       m_view->visualRect(m_view->indexAt(help->pos())));
    return true;
}

}  // namespace wb::ui
