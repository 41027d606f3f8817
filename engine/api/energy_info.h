// Where a run's energy/* figures came from, as its environment record keeps it ("energy", written
// by engine/energy), so every view can say "estimated" next to a figure that is one.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace wb::api {

struct EnergySourceInfo {
    /// "measured: RAPL package-0+dram, machine-wide" or "estimated: CPU time x 10 W per core".
    std::string label;
    bool estimated = true;  ///< any part of the figure is an estimate
    /// The method without run-specific details: "rapl", "cpu-time estimate at 10 W per core",
    /// "... + nvml"; two runs' energies compare like with like when these match.
    std::string method;
};

/// The record in a run's environment JSON; nullopt when the run predates energy measurement.
std::optional<EnergySourceInfo> energy_source_of(const std::string& env_json);
/// The same from the record alone (the payload of the run's "energy" attribute event).
std::optional<EnergySourceInfo> energy_record_info(const std::string& record_json);

/// The catalog's Energy group (energy/joules, cost/total, carbon/grams, ...): the figures that
/// follow from the energy measurement.
bool is_energy_metric(const std::string& name);

/// "estimated", "partly estimated" or "measured" for a short note beside an energy figure;
/// empty when the run recorded no source.
std::string energy_qualifier(const std::string& env_json);

/// Empty when the runs' energies were all taken the same way (or at most one run has one); else
/// one sentence naming the different methods.
std::string energy_source_mismatch(const std::vector<std::string>& env_jsons);

}  // namespace wb::api
