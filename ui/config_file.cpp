#include "ui/config_file.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>

#include <nlohmann/json.hpp>

namespace wb::ui {
namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("ConfigFile", text);
}

}  // namespace

LoadedConfig readConfigFile(const QString& path) {
    LoadedConfig out;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        out.error =
            tr("Could not read %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return out;
    }
    const auto j = nlohmann::json::parse(file.readAll().toStdString(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        out.error = tr("%1 is not a JSON object. A config looks like the files File → Save "
                       "config… writes: {\"model\": {\"kind\": \"gan_mlp\", ...}, \"train\": "
                       "{...}}.")
                        .arg(QDir::toNativeSeparators(path));
        return out;
    }
    std::vector<api::ConfigError> ignored;
    out.config = api::RunConfig::from_json(j, &ignored);
    out.ignored = QString::fromStdString(api::format_errors(ignored));
    out.ok = true;
    return out;
}

QString writeConfigFile(const QString& path, const api::RunConfig& config) {
    QFile file(path);
    const std::string text = config.to_json().dump(2) + "\n";
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        file.write(text.data(), static_cast<qint64>(text.size())) !=
            static_cast<qint64>(text.size()))
        return tr("Could not write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
    return {};
}

}  // namespace wb::ui
