// SamplePreview: the latest sample of the selected run, shown the way its kind needs: an image
// grid scaled up crisply, a scatter of generated vs real points, or generated text.
#pragma once

#include <QWidget>

#include "ui/run_trace.h"

class QLabel;
class QPlainTextEdit;
class QStackedWidget;

namespace wb::ui {

class PixelImageView;
class PointsPlot;

class SamplePreview final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SamplePreview)

public:
    explicit SamplePreview(QWidget* parent = nullptr);

    void showSample(const TraceSample& sample);
    void clear();
    /// What the caption calls the sample ("Latest sample" unless set): "<title> · step N".
    void setTitle(const QString& title);

    /// The kind on display; empty while nothing is.
    QString shownKind() const { return m_kind; }
    PixelImageView* imageView() const { return m_image; }
    PointsPlot* pointsPlot() const { return m_points; }
    QPlainTextEdit* textView() const { return m_text; }

private:
    void showMessage(const QString& text);

    QLabel* m_caption = nullptr;
    QStackedWidget* m_stack = nullptr;
    QLabel* m_message = nullptr;
    PixelImageView* m_image = nullptr;
    PointsPlot* m_points = nullptr;
    QPlainTextEdit* m_text = nullptr;
    QString m_kind;
    QString m_title;
};

}  // namespace wb::ui
