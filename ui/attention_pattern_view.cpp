// Renders api::AttentionPattern::mask into an image.
#include "ui/attention_pattern_view.h"

#include <QImage>
#include <QLabel>
#include <QPixmap>
#include <QVBoxLayout>

namespace wb::ui {

AttentionPatternView::AttentionPatternView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_picture = new QLabel(this);
    m_picture->setObjectName(QStringLiteral("attentionPicture"));
    m_caption = new QLabel(this);
    m_caption->setObjectName(QStringLiteral("attentionCaption"));
    m_caption->setWordWrap(true);
    layout->addWidget(m_picture);
    layout->addWidget(m_caption);
    setToolTip(
        tr("Rows are positions, columns the earlier positions they attend to (time runs "
           "down and to the right). Dark: a pair the model computes; light: skipped."));
}

void AttentionPatternView::setPattern(const api::AttentionPattern& pattern, int64_t context) {
    m_shown = static_cast<int>(std::min<int64_t>(context, kShown));
    const auto mask = pattern.mask(m_shown);
    QImage image(m_shown, m_shown, QImage::Format_RGB32);
    for (int i = 0; i < m_shown; ++i)
        for (int j = 0; j < m_shown; ++j) {
            const bool kept = mask[static_cast<size_t>(i) * m_shown + j] != 0;
            image.setPixel(j, i,
                           kept     ? qRgb(40, 90, 160)
                           : j <= i ? qRgb(222, 228, 236)
                                    : qRgb(250, 250, 250));
        }
    m_picture->setPixmap(
        QPixmap::fromImage(image.scaled(160, 160, Qt::IgnoreAspectRatio, Qt::FastTransformation)));
    m_caption->setText(
        tr("First %1 positions shown. Keeps %2% of the causal pairs at context %3; each "
           "position scores %4 keys (dense: %3).")
            .arg(m_shown)
            .arg(100.0 * pattern.kept_fraction(context), 0, 'f', 1)
            .arg(context)
            .arg(pattern.keys_per_query(context)));
}

QString AttentionPatternView::caption() const {
    return m_caption->text();
}

}  // namespace wb::ui
