// configDiff: the config keys whose values differ between runs, for the compare view. Keys are
// flattened paths ("optim.lr") so that one row names exactly one setting.
#pragma once

#include <vector>

#include <QString>
#include <QStringList>

#include <nlohmann/json_fwd.hpp>

namespace wb::ui {

struct ConfigDiffRow {
    QString key;
    QStringList values;  ///< one per config, in order; empty for a key that config lacks
};

/// Rows sorted by key; only keys whose values are not all equal (a missing key differs).
std::vector<ConfigDiffRow> configDiff(const std::vector<nlohmann::json>& configs);

}  // namespace wb::ui
