// Resolves the default database path: the app's data folder from engine/api/paths.h.
#include "storage/db_path.h"

#include <filesystem>

#include "engine/api/paths.h"

namespace wb::storage {

std::string default_db_path() {
    return (std::filesystem::path(api::user_data_dir()) / "runs.sqlite").string();
}

}  // namespace wb::storage
