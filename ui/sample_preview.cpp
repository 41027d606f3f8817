#include "ui/sample_preview.h"

#include <QFontDatabase>
#include <QImage>
#include <QLabel>
#include <QPlainTextEdit>
#include <QStackedWidget>
#include <QVBoxLayout>

#include "engine/api/run_event.h"
#include "ui/pixel_image_view.h"
#include "ui/points_plot.h"
#include "ui/sample_text.h"

namespace wb::ui {

SamplePreview::SamplePreview(QWidget* parent) : QWidget(parent), m_title(tr("Latest sample")) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_caption = new QLabel(this);
    layout->addWidget(m_caption);
    m_stack = new QStackedWidget(this);
    m_message = new QLabel(m_stack);
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);
    m_image = new PixelImageView(m_stack);
    m_points = new PointsPlot(m_stack);
    m_text = new QPlainTextEdit(m_stack);
    m_text->setReadOnly(true);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    for (QWidget* w : {static_cast<QWidget*>(m_message), static_cast<QWidget*>(m_image),
                       static_cast<QWidget*>(m_points), static_cast<QWidget*>(m_text)})
        m_stack->addWidget(w);
    layout->addWidget(m_stack, 1);
    clear();
}

void SamplePreview::setTitle(const QString& title) {
    m_title = title;
    if (m_kind.isEmpty()) m_caption->setText(title);
}

void SamplePreview::clear() {
    m_kind.clear();
    m_caption->setText(m_title);
    showMessage(tr("No sample yet. Runs take one every \"Samples every\" steps."));
}

void SamplePreview::showMessage(const QString& text) {
    m_message->setText(text);
    m_stack->setCurrentWidget(m_message);
}

void SamplePreview::showSample(const TraceSample& sample) {
    if (sample.kind.isEmpty()) {
        clear();
        return;
    }
    m_caption->setText(tr("%1 · step %L2").arg(m_title).arg(sample.step));
    m_kind = sample.kind;
    if (sample.kind == QLatin1String(api::kSamplePng)) {
        QImage image;
        if (!image.loadFromData(sample.data, "PNG")) {
            showMessage(tr("The image sample of step %1 could not be decoded.").arg(sample.step));
            return;
        }
        m_image->setImage(image);
        m_stack->setCurrentWidget(m_image);
    } else if (sample.kind == QLatin1String(api::kSamplePoints)) {
        QString error;
        if (!m_points->setPoints(sample.data, &error)) {
            showMessage(
                tr("The points sample of step %1 is unreadable: %2").arg(sample.step).arg(error));
            return;
        }
        m_stack->setCurrentWidget(m_points);
    } else if (sample.kind == QLatin1String(api::kSampleText)) {
        m_text->setPlainText(displayText(sample.data));
        m_stack->setCurrentWidget(m_text);
    } else {
        showMessage(tr("This app cannot show samples of kind \"%1\".").arg(sample.kind));
    }
}

}  // namespace wb::ui
