#include "ui/run_config_dialog.h"

#include <QClipboard>
#include <QDialogButtonBox>
#include <QGuiApplication>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include "engine/api/run_config.h"
#include "engine/api/schema.h"

namespace wb::ui {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

QString valueText(const nlohmann::json& v) {
    if (v.is_string()) {
        const auto s = v.get<std::string>();
        return s.empty() ? QObject::tr("(empty)") : qs(s);
    }
    return qs(v.dump());
}

}  // namespace

RunConfigDialog::RunConfigDialog(const storage::RunRow& run, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Settings of run #%1 %2").arg(run.id).arg(qs(run.name)));
    auto* layout = new QVBoxLayout(this);
    std::vector<api::ConfigError> problems;
    const auto stored = nlohmann::json::parse(run.config_json, nullptr, false);
    const api::RunConfig config = api::RunConfig::from_json(stored, &problems);
    auto* intro = new QLabel(
        problems.empty()
            ? tr("Every setting this run trained with. Bold: differs from the default.")
            : tr("Every setting this run trained with (bold: differs from the default). Some "
                 "stored entries are unknown to this version and are not shown:\n%1")
                  .arg(qs(api::format_errors(problems)).trimmed()),
        this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    m_table = new QTableWidget(this);
    m_table->setColumnCount(4);
    m_table->setHorizontalHeaderLabels({tr("Section"), tr("Setting"), tr("Value"), tr("Key")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    const api::RunConfig defaults;
    for (const auto& f : api::schema()) {
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        const nlohmann::json value = f.get(config);
        const bool changed = value != f.get(defaults);
        const QString cells[] = {qs(f.section), qs(f.label), valueText(value), qs(f.path)};
        for (int c = 0; c < 4; ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setToolTip(qs(f.help));
            if (changed && c == 2) {
                QFont bold = item->font();
                bold.setBold(true);
                item->setFont(bold);
            }
            m_table->setItem(row, c, item);
        }
    }
    m_table->resizeColumnsToContents();
    m_table->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(m_table, 1);

    m_json = qs(config.to_json().dump(2));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton* use = buttons->addButton(tr("Use these settings"), QDialogButtonBox::AcceptRole);
    use->setToolTip(tr("Load them into the form to start a new run with changes."));
    QPushButton* copy = buttons->addButton(tr("Copy as JSON"), QDialogButtonBox::ActionRole);
    connect(use, &QPushButton::clicked, this, [this] {
        emit useRequested();
        accept();
    });
    connect(copy, &QPushButton::clicked, this,
            [this] { QGuiApplication::clipboard()->setText(m_json); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(720, 600);
}

}  // namespace wb::ui
