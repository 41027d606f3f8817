// Stored-run lookups shared by the commands that read one run (show, export, quantize).
#include "app/cli/stored_run.h"

#include <cstdio>
#include <stdexcept>

#include "storage/storage_error.h"

namespace wb::cli {

using nlohmann::json;

std::unique_ptr<storage::RunStore> open_store(const std::string& db) {
    try {
        return std::make_unique<storage::RunStore>(db, storage::RunStore::ReadOnly{});
    } catch (const storage::StorageError& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return nullptr;
    }
}

std::optional<storage::RunRow> find_run(storage::RunStore& store, int64_t id) {
    auto row = store.get_run(id);
    if (!row)
        std::fprintf(stderr, "error: no run %lld in %s (see `workbench-cli runs`)\n",
                     static_cast<long long>(id), store.path().c_str());
    return row;
}

json stored_json(const storage::RunRow& row, const std::string& text, const char* what) {
    try {
        return json::parse(text.empty() ? "{}" : text);
    } catch (const json::exception& e) {
        throw std::runtime_error("the stored " + std::string(what) + " of run " +
                                 std::to_string(row.id) + " is damaged (" + e.what() +
                                 "): the row was changed outside the workbench. Its metrics, "
                                 "samples and log can still be read with `metrics` and `show`.");
    }
}

std::optional<api::RunConfig> stored_config(const storage::RunRow& row) {
    std::vector<api::ConfigError> errors;
    auto config = api::RunConfig::from_json(stored_json(row, row.config_json, "settings"), &errors);
    if (!errors.empty()) {
        std::fprintf(stderr, "error: run %lld's stored config is unreadable:\n%s",
                     static_cast<long long>(row.id), api::format_errors(errors).c_str());
        return std::nullopt;
    }
    return config;
}

}  // namespace wb::cli
