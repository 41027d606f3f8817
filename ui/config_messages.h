// Validation messages as the form shows them: the schema keys the engine writes ("prune.at_step",
// "set prune.target=0.5") become the labels the user sees next to the fields.
#pragma once

#include <string>

#include <QString>

namespace wb::ui {

/// The field's label in quotes, e.g. “Prune at step”; the key itself when the schema has none.
QString fieldTitle(const std::string& path);
/// `message` with every schema key replaced by its label and "key=value" by “Label” = value.
QString readableMessage(const std::string& message);

}  // namespace wb::ui
