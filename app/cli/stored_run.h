// Reading one stored run for a command: the store opened read-only, the run's row, its stored
// JSON and config, each failure printed as a message that names the cause and the fix.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/api/run_config.h"
#include "storage/run_store.h"

namespace wb::cli {

/// Opens the store read-only or prints why not; commands return kExitFailure on nullptr.
std::unique_ptr<storage::RunStore> open_store(const std::string& db);

/// The run's row, or nullopt after printing that there is no such run.
std::optional<storage::RunRow> find_run(storage::RunStore& store, int64_t id);

/// A run's stored JSON column; a damaged one throws a message main() prints (exit code 1).
nlohmann::json stored_json(const storage::RunRow& row, const std::string& text, const char* what);

/// The config the run was trained with, or nullopt after printing why it is unreadable.
std::optional<api::RunConfig> stored_config(const storage::RunRow& row);

}  // namespace wb::cli
