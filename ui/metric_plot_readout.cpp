// MetricPlot's readouts beyond the curves: the hover text that names step, wall time and value
// of each curve under the mouse, and the title and file a saved plot gets.
#include <QMouseEvent>
#include <QToolTip>

#include "ui/formatting.h"
#include "ui/metric_plot.h"

namespace wb::ui {

namespace {

// The point of `data` whose key is nearest to `key`; end() when there is none.
QCPGraphDataContainer::const_iterator nearest(const QCPGraphDataContainer& data, double key) {
    if (data.isEmpty()) return data.constEnd();
    auto it = data.findBegin(key, false);
    if (it == data.constEnd()) return it - 1;
    if (it != data.constBegin() && key - (it - 1)->key < it->key - key) return it - 1;
    return it;
}

}  // namespace

QString MetricPlot::hoverText(double key) const {
    QStringList rows;
    for (const auto& [name, s] : m_series) {
        const auto p = nearest(*s.rawDetail.full(), key);
        if (p == s.rawDetail.full()->constEnd()) continue;
        const auto other = nearest(s.otherKeys, p->key);
        const bool hasOther = other != s.otherKeys.constEnd() && other->key == p->key;
        const double step = m_wallKeys ? (hasOther ? other->value : -1) : p->key;
        const double wall = m_wallKeys ? p->key : (hasOther ? other->value : -1);
        QString where = step >= 0 ? tr("step %L1").arg(static_cast<qint64>(step)) : QString();
        if (wall >= 0)
            where += (where.isEmpty() ? QString() : QStringLiteral(", ")) + formatDuration(wall);
        QString smoothed;
        if (m_smoothing > 0) {
            const auto smooth = nearest(*s.smoothDetail.full(), p->key);
            if (smooth != s.smoothDetail.full()->constEnd() && smooth->key == p->key)
                smoothed = tr("smoothed %1").arg(formatValue(smooth->value));
        }
        // One line per curve: a tooltip wraps its text to a narrow column otherwise.
        rows << QStringLiteral(
                    "<tr><td style=\"white-space:pre\"><span style=\"color:%1\">■</span> %2</td>"
                    "<td style=\"white-space:pre\" align=\"right\">&nbsp;&nbsp;<b>%3</b></td>"
                    "<td style=\"white-space:pre\">&nbsp;&nbsp;%4</td><td "
                    "style=\"white-space:pre\">&nbsp;&nbsp;%5</td></tr>")
                    .arg(s.raw->pen().color().name(), name.toHtmlEscaped(),
                         formatValue(p->value).toHtmlEscaped(), smoothed.toHtmlEscaped(),
                         where.toHtmlEscaped());
    }
    if (rows.isEmpty()) return {};
    const QString unit =
        yAxis->label().isEmpty() ? QString() : QStringLiteral(" (%1)").arg(yAxis->label());
    return QStringLiteral("<b>%1</b>%2<table style=\"white-space:pre\">%3</table>")
        .arg(m_title->text().toHtmlEscaped(), unit.toHtmlEscaped(), rows.join(QString()));
}

QString MetricPlot::exportTitle() const {
    return m_runLabel.isEmpty() ? m_title->text() : tr("%1 — %2").arg(m_title->text(), m_runLabel);
}

bool MetricPlot::saveTo(const QString& path, bool pdf) {
    const QString title = m_title->text();
    m_title->setText(exportTitle());
    const bool ok = pdf ? savePdf(path) : savePng(path, width(), height(), 2.0);
    m_title->setText(title);
    replot(QCustomPlot::rpQueuedReplot);
    return ok;
}

void MetricPlot::mouseMoveEvent(QMouseEvent* event) {
    QCustomPlot::mouseMoveEvent(event);
    if (event->buttons() != Qt::NoButton) return;  // dragging: the text would trail behind
    const QPoint pos = event->position().toPoint();
    const QString text =
        axisRect()->rect().contains(pos) ? hoverText(xAxis->pixelToCoord(pos.x())) : QString();
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

}  // namespace wb::ui
