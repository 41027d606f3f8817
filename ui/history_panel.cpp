#include "ui/history_panel.h"

#include <algorithm>

#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QShortcut>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include "engine/service/run_service.h"
#include "storage/storage_error.h"
#include "ui/elided_tooltips.h"
#include "ui/formatting.h"
#include "ui/history_model.h"
#include "ui/progress_delegate.h"
#include "ui/run_config_dialog.h"

namespace wb::ui {
namespace {

bool isLive(api::RunStatus status) {
    return status == api::RunStatus::Queued || status == api::RunStatus::Running ||
           status == api::RunStatus::Paused;
}

}  // namespace

HistoryPanel::HistoryPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* bar = new QHBoxLayout;
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter runs (name, model, status, settings, notes…)"));
    m_filter->setClearButtonEnabled(true);
    m_notes = new QPushButton(tr("Notes…"), this);
    m_notes->setToolTip(tr("Write down what you tried and what you saw."));
    m_delete = new QPushButton(tr("Delete…"), this);
    m_delete->setToolTip(
        tr("Delete the selected runs with their metrics, samples and "
           "checkpoints (Del)."));
    m_compare = new QPushButton(tr("Compare"), this);
    m_compare->setToolTip(
        tr("Overlay the curves, settings and results of the selected runs "
           "(select two or more with Ctrl or Shift)."));
    m_continue = new QPushButton(tr("Continue…"), this);
    m_continue->setToolTip(
        tr("Resume the selected stopped, interrupted, failed or completed run from its last "
           "checkpoint, optionally for more steps."));
    bar->addWidget(m_filter, 1);
    bar->addWidget(m_continue);
    bar->addWidget(m_compare);
    bar->addWidget(m_notes);
    bar->addWidget(m_delete);
    layout->addLayout(bar);

    m_model = new HistoryModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(HistoryModel::SortRole);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setFilterKeyColumn(-1);
    // Progress changes every second; the table stays in the chosen order as it does.
    m_proxy->setDynamicSortFilter(true);

    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("historyTable"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(HistoryModel::Id, Qt::DescendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    // Double-click loads the run's settings; renaming is F2 or the menu.
    m_view->setEditTriggers(QAbstractItemView::EditKeyPressed);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setItemDelegateForColumn(HistoryModel::Status,
                                     new ProgressDelegate(HistoryModel::ProgressRole, m_view));
    const int em = m_view->fontMetrics().horizontalAdvance(QLatin1Char('M'));
    const int widths[HistoryModel::ColumnCount] = {3, 22, 6, 9, 10, 9, 12, 5, 5, 24, 11, 12};
    for (int c = 0; c < HistoryModel::ColumnCount; ++c) m_view->setColumnWidth(c, widths[c] * em);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    layout->addWidget(m_view, 1);

    connect(m_filter, &QLineEdit::textChanged, m_proxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_model, &HistoryModel::storageFailed, this, &HistoryPanel::storageFailed);
    connect(m_notes, &QPushButton::clicked, this, &HistoryPanel::editNotes);
    connect(m_delete, &QPushButton::clicked, this, &HistoryPanel::deleteSelected);
    connect(m_continue, &QPushButton::clicked, this, [this] {
        const auto ids = selectedRuns();
        if (ids.size() == 1) emit continueRequested(ids.front());
    });
    connect(m_compare, &QPushButton::clicked, this, [this] {
        QList<qint64> ids;
        for (int64_t id : selectedRuns()) ids.append(id);
        if (ids.size() >= 2) emit compareRequested(ids);
    });
    auto* del = new QShortcut(QKeySequence::Delete, m_view, nullptr, nullptr, Qt::WidgetShortcut);
    connect(del, &QShortcut::activated, this, &HistoryPanel::deleteSelected);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                if (current.isValid())
                    emit currentRunChanged(current.data(HistoryModel::RunIdRole).toLongLong());
            });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateButtons();
        QList<qint64> ids;
        for (int64_t id : selectedRuns()) ids.append(id);
        emit selectionChanged(ids);
    });
    connect(m_view, &QTableView::customContextMenuRequested, this, [this](const QPoint& pos) {
        const QModelIndex at = m_view->indexAt(pos);
        if (!at.isValid()) return;
        const qint64 id = at.data(HistoryModel::RunIdRole).toLongLong();
        QMenu menu(this);
        menu.addAction(tr("Use these settings"), this, [this, id] { emit settingsRequested(id); });
        menu.addAction(tr("Show settings…"), this, [this, id] { showSettings(id); });
        menu.addSeparator();
        menu.addAction(tr("Rename"), this,
                       [this, at] { m_view->edit(at.siblingAtColumn(HistoryModel::Name)); });
        menu.addAction(m_notes->text(), this, &HistoryPanel::editNotes);
        if (m_compare->isEnabled())
            menu.addAction(m_compare->text(), m_compare, &QPushButton::click);
        menu.addSeparator();
        menu.addAction(m_delete->text(), this, &HistoryPanel::deleteSelected);
        menu.exec(m_view->viewport()->mapToGlobal(pos));
    });

    connect(m_view, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        if (index.isValid())
            emit settingsRequested(index.data(HistoryModel::RunIdRole).toLongLong());
    });
    ElidedToolTips::install(m_view);

    m_refreshTimer.setInterval(kRefreshIntervalMs);
    connect(&m_refreshTimer, &QTimer::timeout, this, &HistoryPanel::refreshNow);
    m_refreshTimer.start();
    updateButtons();
}

void HistoryPanel::setService(service::RunService* service) {
    m_service = service;
    m_model->setService(service);
    m_refreshTimer.start();
    refreshNow();
}

void HistoryPanel::refreshNow() {
    try {
        m_model->refresh();
    } catch (const storage::StorageError& e) {
        // Once is enough: the timer would repeat the message every second.
        m_refreshTimer.stop();
        emit storageFailed(QString::fromUtf8(e.what()));
        return;
    }
    emit refreshed();
}

void HistoryPanel::selectRun(int64_t id) {
    refreshNow();
    const int row = m_model->rowOf(id);
    if (row < 0) return;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, HistoryModel::Name));
    if (!index.isValid()) return;
    m_view->selectionModel()->setCurrentIndex(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(index);
}

std::vector<int64_t> HistoryPanel::selectedRuns() const {
    std::vector<int64_t> ids;
    QModelIndexList rows = m_view->selectionModel()->selectedRows(HistoryModel::Id);
    std::sort(rows.begin(), rows.end(),
              [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
    for (const QModelIndex& i : rows) ids.push_back(i.data(HistoryModel::RunIdRole).toLongLong());
    return ids;
}

void HistoryPanel::updateButtons() {
    const auto n = selectedRuns().size();
    m_notes->setEnabled(n == 1);
    m_delete->setEnabled(n >= 1);
    m_compare->setEnabled(n >= 2);
    bool finished = false;
    if (n == 1) {
        const storage::RunRow* run = m_model->run(m_model->rowOf(selectedRuns().front()));
        finished = run && api::is_final(run->status);
    }
    m_continue->setEnabled(finished);
}

void HistoryPanel::editNotes() {
    const auto ids = selectedRuns();
    if (ids.size() != 1) return;
    const int row = m_model->rowOf(ids.front());
    const storage::RunRow* run = m_model->run(row);
    if (!run) return;
    bool ok = false;
    const QString notes = QInputDialog::getMultiLineText(
        this, tr("Notes for run #%1").arg(run->id), tr("What did you try, and what did you see?"),
        QString::fromStdString(run->notes), &ok);
    if (ok) m_model->setData(m_model->index(row, HistoryModel::Notes), notes, Qt::EditRole);
}

void HistoryPanel::deleteSelected() {
    const auto ids = selectedRuns();
    if (ids.empty() || !m_service) return;
    QStringList names;
    for (int64_t id : ids) {
        const storage::RunRow* run = m_model->run(m_model->rowOf(id));
        if (!run) continue;
        if (isLive(run->status)) {
            QMessageBox::information(
                this, tr("Run still active"),
                tr("Run #%1 \"%2\" is %3. Stop it before deleting it.")
                    .arg(id)
                    .arg(QString::fromStdString(run->name), statusText(run->status)));
            return;
        }
        names << QStringLiteral("#%1 %2").arg(id).arg(QString::fromStdString(run->name));
    }
    const auto answer = QMessageBox::question(
        this, tr("Delete runs"),
        tr("Delete %n run(s)?\n\n%1\n\nTheir metrics, samples and logs are removed from the "
           "database and their checkpoint folders from disk. This cannot be undone.",
           nullptr, static_cast<int>(names.size()))
            .arg(names.join(QLatin1Char('\n'))),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes) return;
    QList<qint64> deleted;
    for (int64_t id : ids) {
        if (const auto refused = m_service->delete_run(id)) {
            emit storageFailed(QString::fromStdString(refused->message));
            break;
        }
        deleted << id;
    }
    if (!deleted.isEmpty()) emit runsDeleted(deleted);
    refreshNow();
}

void HistoryPanel::showSettings(int64_t id) {
    const storage::RunRow* run = m_model->run(m_model->rowOf(id));
    if (!run) return;
    auto* dialog = new RunConfigDialog(*run, this);
    connect(dialog, &RunConfigDialog::useRequested, this,
            [this, id] { emit settingsRequested(id); });
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

QByteArray HistoryPanel::saveState() const {
    return m_view->horizontalHeader()->saveState();
}

void HistoryPanel::restoreState(const QByteArray& state) {
    m_view->horizontalHeader()->restoreState(state);
}

}  // namespace wb::ui
