// Reading and writing a run config as a JSON file (File → Load config…, Save config…), with
// messages that name the file and what is wrong, for the main window to show.
#pragma once

#include <QString>

#include "engine/api/run_config.h"

namespace wb::ui {

struct LoadedConfig {
    bool ok = false;
    api::RunConfig config;
    QString error;    ///< why nothing was loaded (ok false)
    QString ignored;  ///< entries it skipped (ok true): unknown keys, wrong types
};

LoadedConfig readConfigFile(const QString& path);

/// Writes `config` as indented JSON; returns the error message, empty on success.
QString writeConfigFile(const QString& path, const api::RunConfig& config);

}  // namespace wb::ui
