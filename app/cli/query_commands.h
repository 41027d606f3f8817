// The read-only commands of workbench-cli: presets, schema, runs, show, metrics and export.
// Each returns a process exit code.
#pragma once

#include <cstdint>
#include <string>

namespace wb::cli {

int presets_command(bool json);
int schema_command(bool json);
int runs_command(const std::string& db, bool json);
int show_command(const std::string& db, int64_t id, bool json);
int metrics_command(const std::string& db, int64_t id, const std::string& name, bool json);
int export_command(const std::string& db, int64_t id, const std::string& out_dir);
/// The run's deployed network from its newest checkpoint, pruned units removed.
int export_model_command(const std::string& db, int64_t id, const std::string& path, bool sparse);

}  // namespace wb::cli
