#include "ui/run_log_view.h"

#include <QFontDatabase>

namespace wb::ui {

RunLogView::RunLogView(QWidget* parent) : QPlainTextEdit(parent) {
    setReadOnly(true);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    // Bounded so that a chatty run cannot grow the UI's memory without limit.
    setMaximumBlockCount(5000);
    setPlaceholderText(tr("Messages from the run (warnings, errors, checkpoints) appear here."));
}

void RunLogView::setLines(const std::vector<TraceLogLine>& lines) {
    clear();
    m_errors = 0;
    appendLines(lines, 0);
    emit errorCountChanged(m_errors);
}

void RunLogView::appendLines(const std::vector<TraceLogLine>& lines, std::size_t from) {
    const int before = m_errors;
    for (std::size_t i = from; i < lines.size(); ++i) {
        const TraceLogLine& l = lines[i];
        const QString colour = l.level == QLatin1String("error")     ? QStringLiteral("#d0302f")
                               : l.level == QLatin1String("warning") ? QStringLiteral("#b36b00")
                                                                     : QStringLiteral("#404040");
        if (l.level == QLatin1String("error")) ++m_errors;
        appendHtml(
            QStringLiteral("<span style=\"color:#888\">step %1</span> "
                           "<span style=\"color:%2\"><b>%3</b> %4</span>")
                .arg(l.step)
                .arg(colour, l.level.toHtmlEscaped(),
                     l.text.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"))));
    }
    if (m_errors != before) emit errorCountChanged(m_errors);
}

}  // namespace wb::ui
