// RunControls: Start, Pause/Resume and Stop with their keyboard shortcuts. Start launches the
// configured run; Pause and Stop act on the run the live view shows. Several runs may train.
#pragma once

#include <cstdint>

#include <QWidget>

#include "engine/api/run_event.h"

class QAction;
class QLabel;

namespace wb::ui {

class RunControls final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunControls)

public:
    explicit RunControls(QWidget* parent = nullptr);

    /// The actions carry the shortcuts; the window adds them to its menu so that they work
    /// wherever the focus is.
    QAction* startAction() const { return m_start; }
    QAction* pauseAction() const { return m_pause; }
    QAction* stopAction() const { return m_stop; }

    /// False while the configuration is invalid.
    void setStartAllowed(bool allowed);
    /// The run Pause and Stop act on (0: none) and its status, which decides what they offer.
    void setTarget(int64_t id, api::RunStatus status);
    void setActiveCount(int count);

signals:
    void startRequested();
    void pauseRequested(qint64 id);
    void resumeRequested(qint64 id);
    void stopRequested(qint64 id);

private:
    void refreshActions();

    QAction* m_start = nullptr;
    QAction* m_pause = nullptr;
    QAction* m_stop = nullptr;
    QLabel* m_active = nullptr;
    int64_t m_target = 0;
    api::RunStatus m_status = api::RunStatus::Unset;
    bool m_startAllowed = true;
};

}  // namespace wb::ui
