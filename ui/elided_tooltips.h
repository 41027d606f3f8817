// ElidedToolTips: an item view shows the whole text of a cell that is cut off ("Long na…") in a
// tooltip, above the model's own tooltip for that cell.
#pragma once

#include <QObject>

class QAbstractItemView;

namespace wb::ui {

class ElidedToolTips final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ElidedToolTips)

public:
    /// Watches `view`'s viewport; the filter is parented to the view.
    static void install(QAbstractItemView* view);
    /// The tooltip for the cell at `pos` (viewport coordinates); empty: the view's own.
    static QString toolTipAt(const QAbstractItemView* view, const QPoint& pos);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    explicit ElidedToolTips(QAbstractItemView* view);

    QAbstractItemView* m_view = nullptr;
};

}  // namespace wb::ui
