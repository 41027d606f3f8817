// RunProgress: the selected run's headline: name, status, a progress bar over its steps and an
// estimate of the time left from its measured step rate.
#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;

namespace wb::ui {

struct RunTrace;

class RunProgress final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunProgress)

public:
    explicit RunProgress(QWidget* parent = nullptr);

    /// nullptr shows that no run is selected.
    void showTrace(const RunTrace* trace);
    QString etaText() const;
    /// "#4 name" as the header shows it.
    QString titleText() const;
    QProgressBar* bar() const { return m_bar; }

private:
    QLabel* m_title = nullptr;
    QLabel* m_status = nullptr;
    QProgressBar* m_bar = nullptr;
    QLabel* m_eta = nullptr;
};

}  // namespace wb::ui
