#include "ui/pixel_image_view.h"

#include <algorithm>
#include <cmath>

#include <QPainter>

namespace wb::ui {

PixelImageView::PixelImageView(QWidget* parent) : QWidget(parent) {
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setMinimumSize(64, 64);
}

void PixelImageView::setImage(const QImage& image) {
    m_image = image;
    update();
}

QSize PixelImageView::sizeHint() const {
    return QSize(256, 256);
}

void PixelImageView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    if (m_image.isNull()) return;
    const double fit = std::min(static_cast<double>(width()) / m_image.width(),
                                static_cast<double>(height()) / m_image.height());
    // Whole factors keep every generated pixel the same size; below 2 that would waste most of
    // the space, so the image fills it (still nearest-neighbour, never blurred).
    const double scale = fit >= 2 ? std::floor(fit) : fit;
    const QSize size(static_cast<int>(m_image.width() * scale),
                     static_cast<int>(m_image.height() * scale));
    const QRect target(QPoint((width() - size.width()) / 2, (height() - size.height()) / 2), size);
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.drawImage(target, m_image);
}

}  // namespace wb::ui
