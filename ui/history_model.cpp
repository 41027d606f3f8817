#include "ui/history_model.h"

#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <QBrush>
#include <QDateTime>

#include <nlohmann/json.hpp>

#include "engine/api/energy_info.h"
#include "engine/api/schema.h"
#include "engine/service/run_service.h"
#include "storage/run_store.h"
#include "ui/formatting.h"
#include "ui/metric_roles.h"
#include "ui/run_summary.h"

namespace wb::ui {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

bool isLive(api::RunStatus status) {
    return status == api::RunStatus::Queued || status == api::RunStatus::Running ||
           status == api::RunStatus::Paused;
}

// The settings that tell runs apart at a glance: optimizer, learning rate and batch, plus every
// optimization toggle (the schema's sections beyond the core ones) that is not at its default.
QString summariseConfig(const std::string& configJson) {
    const auto j = nlohmann::json::parse(configJson, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return {};
    std::vector<api::ConfigError> ignored;
    const api::RunConfig c = api::RunConfig::from_json(j, &ignored);
    QStringList parts;
    parts << QStringLiteral("%1 lr %2").arg(qs(c.optim.name), formatValue(c.optim.lr))
          << QStringLiteral("batch %1").arg(c.train.batch_size);
    static const std::set<std::string> kCoreSections = {
        "Model", "Data", "Training", "Optimizer", "Checkpoints", "Evaluation", "Energy"};
    for (const auto& f : api::schema()) {
        if (kCoreSections.count(f.section)) continue;
        const nlohmann::json v = f.get(c);
        if (v == f.default_value()) continue;
        if (f.type == api::FieldType::Bool)
            parts << qs(f.label);
        else
            parts << qs(f.label) + QLatin1Char(' ') +
                         qs(v.is_string() ? v.get<std::string>() : v.dump());
    }
    if (c.device != "auto") parts << qs(c.device);
    return parts.join(QStringLiteral(" · "));
}

}  // namespace

HistoryModel::HistoryModel(QObject* parent) : QAbstractTableModel(parent) {}

void HistoryModel::setService(service::RunService* service) {
    beginResetModel();
    m_service = service;
    m_rows.clear();
    endResetModel();
}

void HistoryModel::summarise(Row& row) const {
    const auto last = m_service->store().last_metrics(row.run.id);
    QStringList names;
    QStringList tip, energyTip;
    const QString kind = qs(row.run.model);
    for (const auto& [name, p] : last) {
        names << qs(name);
        const api::PlotGroup group = plotGroup(qs(name), kind);
        if (group == api::PlotGroup::Energy)
            energyTip << QStringLiteral("%1 = %2 %3")
                             .arg(qs(name), formatValue(p.value), displayUnit(qs(name), kind));
        if (group != api::PlotGroup::Loss && group != api::PlotGroup::Quality) continue;
        const QString unit = displayUnit(qs(name), kind);
        tip << QStringLiteral("%1 = %2%3 (step %4)")
                   .arg(qs(name), formatValue(p.value * displayScale(qs(name), kind)),
                        unit.isEmpty() ? QString() : QLatin1Char(' ') + unit)
                   .arg(p.step);
    }
    row.lossName = headlineLoss(names, kind);
    row.loss = row.lossName.isEmpty() ? kNaN : last.at(row.lossName.toStdString()).value;
    row.qualityName = headlineQuality(names, kind);
    row.quality = row.qualityName.isEmpty() ? kNaN : last.at(row.qualityName.toStdString()).value;
    row.metricsTip = tip.join(QLatin1Char('\n'));
    const QString energyName = headlineEnergy(names, kind);
    row.energy = energyName.isEmpty() ? kNaN : last.at(energyName.toStdString()).value;
    if (const auto source = api::energy_source_of(row.run.env_json))
        energyTip.prepend(tr("Source: %1").arg(qs(source->label)));
    row.energyTip = energyTip.join(QLatin1Char('\n'));
    row.settings = summariseConfig(row.run.config_json);
}

void HistoryModel::refresh() {
    if (!m_service) return;
    std::vector<storage::RunRow> fresh = m_service->store().list_runs();
    std::map<int64_t, storage::RunRow*> byId;
    for (auto& r : fresh) byId[r.id] = &r;

    for (int i = static_cast<int>(m_rows.size()) - 1; i >= 0; --i) {
        if (byId.count(m_rows[i].run.id)) continue;
        beginRemoveRows({}, i, i);
        m_rows.erase(m_rows.begin() + i);
        endRemoveRows();
    }

    int first = -1;
    int last = -1;
    std::map<int64_t, int> known;
    for (int i = 0; i < static_cast<int>(m_rows.size()); ++i) {
        Row& row = m_rows[i];
        known[row.run.id] = i;
        const storage::RunRow& r = *byId[row.run.id];
        const bool progressed = r.steps_done != row.run.steps_done || r.status != row.run.status ||
                                r.wall_s != row.run.wall_s || r.ended_at != row.run.ended_at ||
                                r.total_steps != row.run.total_steps;
        const bool edited = r.name != row.run.name || r.notes != row.run.notes ||
                            r.error != row.run.error || r.config_json != row.run.config_json;
        if (!progressed && !edited) continue;
        row.run = r;
        if (progressed) summarise(row);
        first = first < 0 ? i : first;
        last = i;
    }
    if (first >= 0) emit dataChanged(index(first, 0), index(last, ColumnCount - 1));

    std::vector<Row> added;
    for (const auto& r : fresh) {
        if (known.count(r.id)) continue;
        Row row;
        row.run = r;
        summarise(row);
        added.push_back(std::move(row));
    }
    if (added.empty()) return;
    const int at = static_cast<int>(m_rows.size());
    beginInsertRows({}, at, at + static_cast<int>(added.size()) - 1);
    for (auto& row : added) m_rows.push_back(std::move(row));
    endInsertRows();
}

int HistoryModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int HistoryModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant HistoryModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole && section == Loss)
        return tr(
            "The run's last headline loss: held-out (loss/val) when it has one, else "
            "training loss; for a GAN the generator's loss/g, which does not measure "
            "quality. Hover a cell for its metric and unit.");
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole && section == Quality)
        return tr(
            "The run's last quality value: quality/fid (lower is better) for image GANs, "
            "quality/modes_covered (higher is better) for the 2-D mixture. Hover a cell "
            "for its metric and unit.");
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole && section == Energy)
        return tr(
            "The run's energy (energy/joules): measured by RAPL or NVML where the machine "
            "has them, else estimated from CPU time and GPU use, and marked so. Hover a cell "
            "for its source, kWh, cost and carbon.");
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* const kTitles[ColumnCount] = {
        QT_TR_NOOP("ID"),      QT_TR_NOOP("Name"),     QT_TR_NOOP("Model"),   QT_TR_NOOP("Status"),
        QT_TR_NOOP("Steps"),   QT_TR_NOOP("Time"),     QT_TR_NOOP("Energy"),  QT_TR_NOOP("Loss"),
        QT_TR_NOOP("Quality"), QT_TR_NOOP("Settings"), QT_TR_NOOP("Created"), QT_TR_NOOP("Notes")};
    return section >= 0 && section < ColumnCount ? tr(kTitles[section]) : QVariant();
}

Qt::ItemFlags HistoryModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.column() == Name || index.column() == Notes) f |= Qt::ItemIsEditable;
    return f;
}

QVariant HistoryModel::display(const Row& row, int column) const {
    const storage::RunRow& r = row.run;
    switch (column) {
        case Id:
            return QVariant::fromValue<qlonglong>(r.id);
        case Name:
            return qs(r.name);
        case Model:
            return qs(r.model);
        case Status:
            return isLive(r.status) && r.total_steps > 0
                       ? QStringLiteral("%1 %2%")
                             .arg(statusText(r.status))
                             .arg(100 * r.steps_done / r.total_steps)
                       : statusText(r.status);
        case Steps:
            return QStringLiteral("%L1 / %L2").arg(r.steps_done).arg(r.total_steps);
        case Duration:
            return r.wall_s > 0 ? formatDuration(r.wall_s) : QString();
        case Energy:
            return std::isnan(row.energy)
                       ? QString()
                       : formatValue(row.energy) + QStringLiteral(" J") +
                             energyNote(QStringLiteral("energy/joules"), r.env_json);
        case Loss:
            return std::isnan(row.loss) ? QString() : formatValue(row.loss);
        case Quality:
            return std::isnan(row.quality)
                       ? QString()
                       : formatValue(row.quality) +
                             fidExtractorNote(row.qualityName, row.run.env_json);
        case Settings:
            return row.settings;
        case Notes:
            return qs(r.notes).section(QLatin1Char('\n'), 0, 0);
        case Created:
            return r.created_at > 0
                       ? QDateTime::fromSecsSinceEpoch(static_cast<qint64>(r.created_at))
                             .toString(QStringLiteral("yyyy-MM-dd hh:mm"))
                       : QString();
        default:
            return {};
    }
}

QVariant HistoryModel::sortKey(const Row& row, int column) const {
    const storage::RunRow& r = row.run;
    switch (column) {
        case Id:
            return QVariant::fromValue<qlonglong>(r.id);
        case Steps:
            return QVariant::fromValue<qlonglong>(r.steps_done);
        case Duration:
            return r.wall_s;
        case Energy:
            return std::isnan(row.energy) ? std::numeric_limits<double>::max() : row.energy;
        // Runs without the value sort last in ascending order.
        case Loss:
            return std::isnan(row.loss) ? std::numeric_limits<double>::max() : row.loss;
        case Quality:
            return std::isnan(row.quality) ? std::numeric_limits<double>::lowest() : row.quality;
        case Created:
            return r.created_at;
        default:
            return display(row, column);
    }
}

QVariant HistoryModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= static_cast<int>(m_rows.size())) return {};
    const Row& row = m_rows[index.row()];
    const storage::RunRow& r = row.run;
    switch (role) {
        case Qt::DisplayRole:
            return display(row, index.column());
        case Qt::EditRole:
            return index.column() == Notes ? qs(r.notes) : display(row, index.column());
        case SortRole:
            return sortKey(row, index.column());
        case RunIdRole:
            return QVariant::fromValue<qlonglong>(r.id);
        case ProgressRole:
            if (index.column() == Status && isLive(r.status) && r.total_steps > 0)
                return static_cast<int>(100 * r.steps_done / r.total_steps);
            return {};
        case Qt::ForegroundRole:
            if (index.column() == Status) return QBrush(statusColor(r.status));
            return {};
        case Qt::TextAlignmentRole:
            if (index.column() == Id || index.column() == Steps || index.column() == Duration ||
                index.column() == Energy || index.column() == Loss || index.column() == Quality)
                return QVariant(Qt::AlignRight | Qt::AlignVCenter);
            return {};
        case Qt::ToolTipRole:
            switch (index.column()) {
                case Status:
                    return r.error.empty() ? QVariant() : qs(r.error);
                case Loss:
                case Quality: {
                    if (row.metricsTip.isEmpty()) return {};
                    const QString& shown = index.column() == Loss ? row.lossName : row.qualityName;
                    if (shown.isEmpty()) return row.metricsTip;
                    return tr("%1\n\n%2")
                        .arg(metricDescription(shown, qs(r.model)), row.metricsTip);
                }
                case Energy:
                    return row.energyTip.isEmpty() ? QVariant() : row.energyTip;
                case Notes:
                    return r.notes.empty() ? QVariant() : qs(r.notes);
                case Name:
                    return tr("Double-click to load its settings; F2 to rename");
                default:
                    return {};
            }
        default:
            return {};
    }
}

bool HistoryModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!m_service || role != Qt::EditRole || !index.isValid()) return false;
    Row& row = m_rows[index.row()];
    const std::string text = value.toString().toStdString();
    if (index.column() == Name) {
        if (value.toString().trimmed().isEmpty()) return false;
        if (const auto refused = m_service->rename(row.run.id, text)) {
            emit storageFailed(QString::fromStdString(refused->message));
            return false;
        }
        row.run.name = text;
    } else if (index.column() == Notes) {
        if (const auto refused = m_service->set_notes(row.run.id, text)) {
            emit storageFailed(QString::fromStdString(refused->message));
            return false;
        }
        row.run.notes = text;
    } else {
        return false;
    }
    emit dataChanged(index, index);
    return true;
}

int HistoryModel::rowOf(int64_t id) const {
    for (int i = 0; i < static_cast<int>(m_rows.size()); ++i)
        if (m_rows[i].run.id == id) return i;
    return -1;
}

const storage::RunRow* HistoryModel::run(int row) const {
    return row >= 0 && row < static_cast<int>(m_rows.size()) ? &m_rows[row].run : nullptr;
}

}  // namespace wb::ui
