// ProgressDelegate: draws a progress bar in the history's status cell for runs that are still
// training, so that progress is visible without selecting the run.
#pragma once

#include <QStyledItemDelegate>

namespace wb::ui {

class ProgressDelegate final : public QStyledItemDelegate {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProgressDelegate)

public:
    /// `progressRole` holds 0..100, or nothing for cells drawn as plain text.
    explicit ProgressDelegate(int progressRole, QObject* parent = nullptr);

    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;

private:
    int m_progressRole = 0;
};

}  // namespace wb::ui
