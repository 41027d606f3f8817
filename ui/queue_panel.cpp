#include "ui/queue_panel.h"

#include <signal.h>

#include <QCoreApplication>
#include <QDateTime>
#include <QDropEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <functional>

#include <nlohmann/json.hpp>

#include "storage/run_store.h"

namespace wb::ui {

namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

QString needsText(const storage::QueueResources& need) {
    QString s = QObject::tr("%n thread(s)", nullptr, need.threads);
    if (!need.gpu_ids.empty())
        s += QObject::tr(", GPU %1").arg(qs(storage::gpu_list_text(need.gpu_ids)));
    else if (need.gpus > 0)
        s += QObject::tr(", %n GPU(s)", nullptr, need.gpus);
    if (need.gpu_mem_mb > 0) s += QObject::tr(", %1 MiB each").arg(need.gpu_mem_mb);
    return s;
}

enum Column { kId, kState, kStatus, kPriority, kNeeds, kSteps, kName, kColumns };

}  // namespace

// Rows are dragged to a new place; the database's order changes, and the refresh shows it.
class QueueTable final : public QTableWidget {
public:
    using QTableWidget::QTableWidget;
    std::function<void(int64_t id, int64_t before)> onMove;

protected:
    void dropEvent(QDropEvent* event) override {
        const int from = currentRow();
        const int to = indexAt(event->position().toPoint()).row();
        event->setDropAction(Qt::IgnoreAction);
        event->accept();
        if (from < 0 || from == to || !onMove) return;
        const int64_t id = item(from, kId)->data(Qt::UserRole).toLongLong();
        const int64_t before = to < 0 ? 0 : item(to, kId)->data(Qt::UserRole).toLongLong();
        onMove(id, before);
    }
};

QueuePanel::QueuePanel(QWidget* parent) : QWidget(parent) {
    m_workerExe = QCoreApplication::applicationDirPath() + QStringLiteral("/workbench-cli");
    auto* layout = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    m_schedulerButton = new QPushButton(tr("Run scheduler"), this);
    m_schedulerButton->setCheckable(true);
    m_schedulerButton->setToolTip(
        tr("Start queued runs while the threads and GPUs they reserve fit this machine, each in "
           "its own process; a run of higher priority preempts lower ones at a checkpoint."));
    m_up = new QPushButton(tr("Priority +1"), this);
    m_down = new QPushButton(tr("Priority −1"), this);
    m_cancel = new QPushButton(tr("Cancel run"), this);
    m_state = new QLabel(this);
    bar->addWidget(m_schedulerButton);
    bar->addWidget(m_up);
    bar->addWidget(m_down);
    bar->addWidget(m_cancel);
    bar->addWidget(m_state, 1);
    layout->addLayout(bar);

    m_table = new QueueTable(0, kColumns, this);
    m_table->setHorizontalHeaderLabels({tr("Run"), tr("Queue"), tr("Status"), tr("Priority"),
                                        tr("Reserves"), tr("Steps"), tr("Name")});
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setDragDropMode(QAbstractItemView::InternalMove);
    m_table->setDragEnabled(true);
    m_table->setAcceptDrops(true);
    m_table->setDropIndicatorShown(true);
    m_table->onMove = [this](int64_t id, int64_t before) { moveRun(id, before); };
    m_log = new QPlainTextEdit(this);
    m_log->setReadOnly(true);
    m_log->setPlaceholderText(
        tr("What the scheduler does shows here. Queue runs with `workbench-cli queue add` (the "
           "same options as run, plus --priority, --threads, --gpus, --sweep, --seeds)."));
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(m_log);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);

    connect(m_schedulerButton, &QPushButton::toggled, this,
            [this](bool on) { setSchedulerRunning(on); });
    connect(m_up, &QPushButton::clicked, this, [this] { changePriority(selectedRun(), +1); });
    connect(m_down, &QPushButton::clicked, this, [this] { changePriority(selectedRun(), -1); });
    connect(m_cancel, &QPushButton::clicked, this, [this] { cancelRun(selectedRun()); });
    m_timer.setInterval(kRefreshIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, [this] { tick(); });
    m_timer.start();
    refreshNow();
}

QueuePanel::~QueuePanel() {
    // Runs it started keep training in their own processes; the next scheduler adopts them.
    m_scheduler.reset();
}

void QueuePanel::setDatabase(const std::string& path, int gpus) {
    setSchedulerRunning(false);
    m_gpus = gpus;
    try {
        m_store = std::make_unique<storage::RunStore>(path);
    } catch (const std::exception& e) {
        m_store.reset();
        showError(qs(e.what()));
    }
    refreshNow();
}

void QueuePanel::setDatabase(const std::string& path, const std::string& engine_environment) {
    const auto env = nlohmann::json::parse(engine_environment, nullptr, false);
    setDatabase(path, env.is_object() ? env.value("cuda_devices", 0) : 0);
}

bool QueuePanel::setSchedulerRunning(bool on) {
    const auto reflect = [this] {
        const QSignalBlocker block(m_schedulerButton);
        m_schedulerButton->setChecked(m_scheduler != nullptr);
        m_schedulerButton->setText(m_scheduler ? tr("Stop scheduler") : tr("Run scheduler"));
    };
    if (!on) {
        if (m_scheduler) {
            m_scheduler.reset();  // unlocks; running workers go on and are adopted later
            m_log->appendPlainText(tr("%1 scheduler stopped here; the runs it started train on")
                                       .arg(QTime::currentTime().toString("HH:mm:ss")));
        }
        reflect();
        refreshNow();
        return true;
    }
    if (m_scheduler) return true;
    if (!m_store) {
        showError(tr("No database is open."));
        reflect();
        return false;
    }
    if (!QFileInfo(m_workerExe).isExecutable()) {
        showError(tr("The scheduler starts each run as a workbench-cli process, and %1 is missing: "
                     "install workbench-cli next to the app, or use `workbench-cli scheduler`.")
                      .arg(m_workerExe));
        reflect();
        return false;
    }
    service::SchedulerOptions o;
    o.worker_exe = m_workerExe.toStdString();
    o.capacity.cores = service::usable_cores();
    o.capacity.gpu_mem_mb.assign(static_cast<size_t>(std::max(0, m_gpus)), 0);
    auto s = std::make_unique<service::Scheduler>(*m_store, o);
    if (const auto held = s->lock()) {
        showError(qs(*held));
        reflect();
        return false;
    }
    m_scheduler = std::move(s);
    m_log->appendPlainText(tr("%1 scheduler running here: %2 cores, %3 GPU(s)")
                               .arg(QTime::currentTime().toString("HH:mm:ss"))
                               .arg(o.capacity.cores)
                               .arg(o.capacity.gpu_mem_mb.size()));
    reflect();
    tick();
    return true;
}

void QueuePanel::tick() {
    if (m_scheduler) {
        try {
            const auto report = m_scheduler->tick();
            for (const auto& line : report.lines)
                m_log->appendPlainText(QTime::currentTime().toString("HH:mm:ss ") + qs(line));
        } catch (const std::exception& e) {
            showError(qs(e.what()));
        }
    }
    refreshNow();
}

void QueuePanel::refreshNow() {
    const int64_t keep = selectedRun();
    std::vector<storage::QueueEntry> entries;
    if (m_store) {
        try {
            entries = m_store->queue_entries(false);
        } catch (const std::exception& e) {
            showError(qs(e.what()));
        }
    }
    m_table->setRowCount(static_cast<int>(entries.size()));
    for (int r = 0; r < static_cast<int>(entries.size()); ++r) {
        const auto& e = entries[static_cast<size_t>(r)];
        const QString cells[kColumns] = {
            QString::number(e.run_id),
            qs(storage::to_string(e.state)),
            qs(api::to_string(e.status)),
            QString::number(e.priority),
            needsText(e.need),
            QStringLiteral("%1 / %2").arg(e.steps_done).arg(e.total_steps),
            qs(e.name)};
        for (int c = 0; c < kColumns; ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setData(Qt::UserRole, static_cast<qlonglong>(e.run_id));
            item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemIsDragEnabled);
            if (!e.note.empty()) item->setToolTip(qs(e.note));
            m_table->setItem(r, c, item);
        }
        if (e.run_id == keep) m_table->selectRow(r);
    }
    m_table->resizeColumnsToContents();
    const bool any = selectedRun() > 0;
    m_up->setEnabled(any);
    m_down->setEnabled(any);
    m_cancel->setEnabled(any);
    int running = 0, waiting = 0;
    for (const auto& e : entries) {
        if (e.state == storage::QueueState::Started || e.state == storage::QueueState::Preempting)
            ++running;
        else if (e.state == storage::QueueState::Waiting)
            ++waiting;
    }
    m_state->setText(tr("%1 training, %2 waiting · scheduler %3")
                         .arg(running)
                         .arg(waiting)
                         .arg(m_scheduler ? tr("running here") : tr("off")));
}

std::vector<int64_t> QueuePanel::shownRuns() const {
    std::vector<int64_t> ids;
    for (int r = 0; r < m_table->rowCount(); ++r)
        ids.push_back(m_table->item(r, kId)->data(Qt::UserRole).toLongLong());
    return ids;
}

int64_t QueuePanel::selectedRun() const {
    const auto rows = m_table->selectionModel()->selectedRows();
    if (rows.isEmpty()) return 0;
    return m_table->item(rows.front().row(), kId)->data(Qt::UserRole).toLongLong();
}

void QueuePanel::moveRun(int64_t id, int64_t before) {
    if (!m_store || id <= 0) return;
    try {
        m_store->move_in_queue(id, before);
    } catch (const std::exception& e) {
        showError(qs(e.what()));
    }
    refreshNow();
}

void QueuePanel::changePriority(int64_t id, int delta) {
    if (!m_store || id <= 0) return;
    try {
        if (const auto e = m_store->queue_entry(id))
            m_store->set_queue_priority(id, e->priority + delta);
    } catch (const std::exception& e) {
        showError(qs(e.what()));
    }
    refreshNow();
}

void QueuePanel::cancelRun(int64_t id) {
    if (!m_store || id <= 0) return;
    try {
        const auto before = m_store->queue_cancel(id);
        // Training: its worker stops it at a checkpoint, as the CLI's `queue cancel` does.
        if (before && !before->waiting_run() && before->owner.pid > 0 && !before->owner_gone)
            ::kill(static_cast<pid_t>(before->owner.pid), SIGTERM);
        else if (before && before->worker_pid > 0)
            ::kill(static_cast<pid_t>(before->worker_pid), SIGTERM);
    } catch (const std::exception& e) {
        showError(qs(e.what()));
    }
    refreshNow();
}

void QueuePanel::showError(const QString& text) {
    m_log->appendPlainText(QTime::currentTime().toString("HH:mm:ss ") + tr("error: ") + text);
}

}  // namespace wb::ui
