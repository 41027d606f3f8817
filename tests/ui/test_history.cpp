// History: the table lists every run, refreshes changed rows with one dataChanged, inserts and
// removes rows in place, writes renames and notes to the store, and filters.
#include <QLineEdit>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include "engine/service/run_service.h"
#include "storage/recorder.h"
#include "storage/run_store.h"
#include "tests/ui/fake_engine.h"
#include "ui/history_model.h"
#include "ui/history_panel.h"

using namespace wb;
using ui::HistoryModel;

class TestHistory final : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void listsEveryRun();
    void changedRowsGetOneDataChanged();
    void insertsAndRemovesInPlace();
    void renameAndNotesReachTheStore();
    void finalMetricsAndProgress();
    void filterNarrowsTheTable();

private:
    int64_t create(const std::string& name, int64_t steps = 100) {
        return m_store->create_run(
            name, "gan_mlp",
            R"({"optim": {"name": "adam", "lr": 0.001}, "train": {"batch_size": 256}})", "{}",
            steps, "");
    }
    QString cell(int64_t id, int column) const {
        return m_model->index(m_model->rowOf(id), column).data().toString();
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<storage::RunStore> m_store;
    test::FakeEngine m_engine;
    std::unique_ptr<service::RunService> m_service;
    std::unique_ptr<HistoryModel> m_model;
};

void TestHistory::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_store = std::make_unique<storage::RunStore>(m_dir->filePath("runs.sqlite").toStdString());
    m_model = std::make_unique<HistoryModel>();
    m_service = std::make_unique<service::RunService>(m_engine, *m_store, nullptr);
    m_model->setService(m_service.get());
}

void TestHistory::cleanup() {
    m_model.reset();
    m_service.reset();
    m_store.reset();
    m_dir.reset();
}

void TestHistory::listsEveryRun() {
    const int64_t a = create("alpha");
    const int64_t b = create("beta");
    m_model->refresh();
    QCOMPARE(m_model->rowCount(), 2);
    QCOMPARE(cell(a, HistoryModel::Name), QString("alpha"));
    QCOMPARE(cell(b, HistoryModel::Model), QString("gan_mlp"));
    QCOMPARE(cell(b, HistoryModel::Status), QString("queued 0%"));
    QCOMPARE(cell(a, HistoryModel::Settings), QString("adam lr 0.001 · batch 256"));
}

void TestHistory::changedRowsGetOneDataChanged() {
    const int64_t a = create("a");
    create("b");
    const int64_t c = create("c");
    m_model->refresh();
    QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
    m_model->refresh();
    QCOMPARE(changed.count(), 0);  // nothing changed, nothing repainted

    m_store->set_status(a, wb::api::RunStatus::Running);
    m_store->set_status(c, wb::api::RunStatus::Stopped);
    m_model->refresh();
    QCOMPARE(changed.count(), 1);
    const int ra = m_model->rowOf(a);
    const int rc = m_model->rowOf(c);
    const auto top = changed[0][0].value<QModelIndex>();
    const auto bottom = changed[0][1].value<QModelIndex>();
    QCOMPARE(top.row(), std::min(ra, rc));
    QCOMPARE(bottom.row(), std::max(ra, rc));
    QCOMPARE(bottom.column(), HistoryModel::ColumnCount - 1);
    QCOMPARE(cell(c, HistoryModel::Status), QString("stopped"));
}

void TestHistory::insertsAndRemovesInPlace() {
    const int64_t a = create("a");
    create("b");
    m_model->refresh();
    QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(m_model.get(), &QAbstractItemModel::rowsRemoved);
    QSignalSpy reset(m_model.get(), &QAbstractItemModel::modelReset);
    create("c");
    QVERIFY(m_store->delete_run(a));
    m_model->refresh();
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(reset.count(), 0);
    QCOMPARE(m_model->rowCount(), 2);
    QCOMPARE(m_model->rowOf(a), -1);
}

void TestHistory::renameAndNotesReachTheStore() {
    const int64_t a = create("old name");
    m_model->refresh();
    const QModelIndex name = m_model->index(m_model->rowOf(a), HistoryModel::Name);
    QVERIFY(m_model->flags(name) & Qt::ItemIsEditable);
    QVERIFY(m_model->setData(name, "new name", Qt::EditRole));
    QCOMPARE(m_store->get_run(a)->name, std::string("new name"));
    QVERIFY(!m_model->setData(name, "   ", Qt::EditRole));  // a run keeps a name

    const QModelIndex notes = m_model->index(m_model->rowOf(a), HistoryModel::Notes);
    QVERIFY(m_model->setData(notes, "lr too high\nsecond line", Qt::EditRole));
    QCOMPARE(m_store->get_run(a)->notes, std::string("lr too high\nsecond line"));
    QCOMPARE(notes.data().toString(), QString("lr too high"));
    QCOMPARE(notes.data(Qt::EditRole).toString(), QString("lr too high\nsecond line"));
    QVERIFY(!(m_model->flags(m_model->index(0, HistoryModel::Status)) & Qt::ItemIsEditable));
}

void TestHistory::finalMetricsAndProgress() {
    const int64_t a = create("measured", 200);
    {
        storage::Recorder recorder(m_store->path());
        std::vector<api::RunEvent> events;
        events.push_back(api::RunEvent::status_change(a, 0, 0, api::RunStatus::Running));
        for (int s = 1; s <= 50; ++s) {
            events.push_back(api::RunEvent::metric(a, s, s * 0.1, "loss/g", 1.0 / s));
            events.push_back(api::RunEvent::metric(a, s, s * 0.1, "quality/modes_covered", s % 9));
        }
        recorder.record(events);
        recorder.flush();
    }
    m_model->refresh();
    QCOMPARE(cell(a, HistoryModel::Loss), QString("0.02"));
    QCOMPARE(cell(a, HistoryModel::Quality), QString("5"));
    const QModelIndex status = m_model->index(m_model->rowOf(a), HistoryModel::Status);
    QCOMPARE(status.data(HistoryModel::ProgressRole).toInt(), 25);
    QCOMPARE(status.data().toString(), QString("running 25%"));
    QVERIFY(m_model->index(m_model->rowOf(a), HistoryModel::Loss)
                .data(Qt::ToolTipRole)
                .toString()
                .contains("quality/modes_covered"));
}

void TestHistory::filterNarrowsTheTable() {
    ui::HistoryPanel panel;
    panel.setService(m_service.get());
    create("alpha");
    create("beta");
    create("alphabet");
    panel.refreshNow();
    QCOMPARE(panel.view()->model()->rowCount(), 3);
    panel.filter()->setText("alpha");
    QCOMPARE(panel.view()->model()->rowCount(), 2);
    panel.filter()->setText("BETA");
    QCOMPARE(panel.view()->model()->rowCount(), 1);  // case-insensitive
    panel.filter()->clear();
    QCOMPARE(panel.view()->model()->rowCount(), 3);
    // Newest first by default.
    QCOMPARE(panel.view()->model()->index(0, HistoryModel::Name).data().toString(),
             QString("alphabet"));
}

QTEST_MAIN(TestHistory)
#include "test_history.moc"
