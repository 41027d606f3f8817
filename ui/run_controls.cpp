#include "ui/run_controls.h"

#include <QAction>
#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace wb::ui {
namespace {

QToolButton* buttonFor(QAction* action, QWidget* parent) {
    auto* b = new QToolButton(parent);
    b->setDefaultAction(action);
    b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    b->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    b->setMinimumHeight(30);
    return b;
}

}  // namespace

RunControls::RunControls(QWidget* parent) : QWidget(parent) {
    m_start = new QAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("Start"), this);
    m_start->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    m_start->setToolTip(
        tr("Start a run with this configuration (Ctrl+Return). Other runs keep "
           "training."));
    m_pause = new QAction(style()->standardIcon(QStyle::SP_MediaPause), tr("Pause"), this);
    m_pause->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    m_stop = new QAction(style()->standardIcon(QStyle::SP_MediaStop), tr("Stop"), this);
    m_stop->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    m_stop->setToolTip(
        tr("Stop the shown run after its current step; it writes a checkpoint "
           "(Ctrl+.)."));
    for (QAction* a : {m_start, m_pause, m_stop}) a->setShortcutContext(Qt::WindowShortcut);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* row = new QHBoxLayout;
    auto* start = buttonFor(m_start, this);
    QFont bold = start->font();
    bold.setBold(true);
    start->setFont(bold);
    row->addWidget(start, 2);
    row->addWidget(buttonFor(m_pause, this), 1);
    row->addWidget(buttonFor(m_stop, this), 1);
    layout->addLayout(row);
    m_active = new QLabel(this);
    layout->addWidget(m_active);

    connect(m_start, &QAction::triggered, this, &RunControls::startRequested);
    connect(m_pause, &QAction::triggered, this, [this] {
        if (m_status == api::RunStatus::Paused)
            emit resumeRequested(m_target);
        else
            emit pauseRequested(m_target);
    });
    connect(m_stop, &QAction::triggered, this, [this] { emit stopRequested(m_target); });
    setActiveCount(0);
    refreshActions();
}

void RunControls::setStartAllowed(bool allowed) {
    m_startAllowed = allowed;
    refreshActions();
}

void RunControls::setTarget(int64_t id, api::RunStatus status) {
    m_target = id;
    m_status = status;
    refreshActions();
}

void RunControls::setActiveCount(int count) {
    m_active->setText(count == 0 ? tr("No run is training.")
                                 : tr("%n run(s) training.", nullptr, count));
}

void RunControls::refreshActions() {
    m_start->setEnabled(m_startAllowed);
    m_start->setStatusTip(m_startAllowed ? QString() : tr("Fix the marked fields to start."));
    const bool paused = m_status == api::RunStatus::Paused;
    const bool live = m_target != 0 && (m_status == api::RunStatus::Queued ||
                                        m_status == api::RunStatus::Running || paused);
    m_pause->setText(paused ? tr("Resume") : tr("Pause"));
    m_pause->setIcon(style()->standardIcon(paused ? QStyle::SP_MediaPlay : QStyle::SP_MediaPause));
    m_pause->setToolTip(paused ? tr("Resume the shown run (Ctrl+P).")
                               : tr("Pause the shown run between steps (Ctrl+P)."));
    m_pause->setEnabled(live);
    m_stop->setEnabled(live);
}

}  // namespace wb::ui
