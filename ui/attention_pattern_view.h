// A picture of what an attention pattern keeps: the causal mask of a short context, one pixel
// per (query, key) pair, kept pairs dark, with the share it keeps at the run's context.
#pragma once

#include <QWidget>

#include "engine/api/attention_pattern.h"

class QLabel;

namespace wb::ui {

class AttentionPatternView final : public QWidget {
    Q_OBJECT

public:
    explicit AttentionPatternView(QWidget* parent = nullptr);
    /// Draws `pattern` for `context` positions (at most kShown of them are drawn).
    void setPattern(const api::AttentionPattern& pattern, int64_t context);
    /// The caption under the picture, e.g. "keeps 23.4% of the causal pairs at context 1024".
    QString caption() const;
    /// Positions drawn (the first min(context, kShown)).
    int shownPositions() const { return m_shown; }
    static constexpr int kShown = 256;

private:
    QLabel* m_picture = nullptr;
    QLabel* m_caption = nullptr;
    int m_shown = 0;
};

}  // namespace wb::ui
