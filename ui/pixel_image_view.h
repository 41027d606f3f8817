// PixelImageView: shows a small image (a sample grid) scaled up with nearest-neighbour sampling,
// so that every generated pixel stays a crisp square instead of a blur.
#pragma once

#include <QImage>
#include <QWidget>

namespace wb::ui {

class PixelImageView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PixelImageView)

public:
    explicit PixelImageView(QWidget* parent = nullptr);

    void setImage(const QImage& image);
    const QImage& image() const { return m_image; }
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    QImage m_image;
};

}  // namespace wb::ui
