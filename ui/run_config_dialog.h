// RunConfigDialog: every setting of one stored run, by section, with the ones that differ from
// the defaults in bold; offers to load them into the form or copy them as JSON.
#pragma once

#include <QDialog>

#include "storage/run_rows.h"

class QTableWidget;

namespace wb::ui {

class RunConfigDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunConfigDialog)

public:
    RunConfigDialog(const storage::RunRow& run, QWidget* parent = nullptr);

    QTableWidget* table() const { return m_table; }
    /// The run's config as the file File → Save config… would write.
    const QString& json() const { return m_json; }

signals:
    /// "Use these settings" was pressed; the dialog closes.
    void useRequested();

private:
    QTableWidget* m_table = nullptr;
    QString m_json;
};

}  // namespace wb::ui
