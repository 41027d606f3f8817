// RunLogView: the selected run's log lines (engine messages, warnings, the failure reason and
// checkpoints), coloured by level so that an error stands out.
#pragma once

#include <vector>

#include <QPlainTextEdit>

#include "ui/run_trace.h"

namespace wb::ui {

class RunLogView final : public QPlainTextEdit {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunLogView)

public:
    explicit RunLogView(QWidget* parent = nullptr);

    /// Replaces the content with `lines`.
    void setLines(const std::vector<TraceLogLine>& lines);
    /// Appends lines[from...].
    void appendLines(const std::vector<TraceLogLine>& lines, std::size_t from);
    int errorCount() const { return m_errors; }

signals:
    void errorCountChanged(int errors);

private:
    int m_errors = 0;
};

}  // namespace wb::ui
