// Where the run history lives when the user does not pass --db.
// Follows the XDG base directory spec so the file sits next to other apps' data.
#pragma once

#include <string>

namespace wb::storage {

/// $XDG_DATA_HOME/genai-workbench/runs.sqlite, else ~/.local/share/genai-workbench/runs.sqlite.
std::string default_db_path();

}  // namespace wb::storage
