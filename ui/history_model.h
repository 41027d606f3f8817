// HistoryModel: every run in the database as a table row (status, progress, duration, energy,
// final loss and quality, key settings, notes), refreshed in place by diffing against the store.
#pragma once

#include <cstdint>
#include <vector>

#include <QAbstractTableModel>

#include "storage/run_rows.h"

namespace wb::service {
class RunService;
}

namespace wb::ui {

class HistoryModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HistoryModel)

public:
    enum Column {
        Id,
        Name,
        Model,
        Status,
        Steps,
        Duration,
        Energy,
        Loss,
        Quality,
        Settings,
        Created,
        Notes,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole,  ///< numbers sort as numbers
        ProgressRole,             ///< 0..100 for live runs, invalid otherwise
        RunIdRole,
    };

    explicit HistoryModel(QObject* parent = nullptr);

    /// Reads the service's store; renames and notes are sent through the service.
    void setService(service::RunService* service);
    /// Re-reads the run list; rows that changed get one dataChanged for their range, new and
    /// deleted runs are inserted and removed, so selections and scroll positions survive.
    /// Throws storage::StorageError.
    void refresh();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    /// Name and notes are edited in place and sent to the service at once.
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;

    int rowOf(int64_t id) const;
    const storage::RunRow* run(int row) const;

signals:
    void storageFailed(const QString& message);

private:
    struct Row {
        storage::RunRow run;
        QString lossName;
        double loss = 0;
        QString qualityName;
        double quality = 0;
        QString metricsTip;  ///< every final loss and quality value, for the tooltip
        double energy = 0;   ///< the last energy/joules; NaN when the run has none
        QString energyTip;   ///< its source, kWh, cost and carbon
        QString settings;
    };

    void summarise(Row& row) const;
    QVariant display(const Row& row, int column) const;
    QVariant sortKey(const Row& row, int column) const;

    service::RunService* m_service = nullptr;
    std::vector<Row> m_rows;
};

}  // namespace wb::ui
