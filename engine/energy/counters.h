// The sources of a run's energy figure, each behind one interface: RAPL and NVML measure, the
// estimates multiply the run's work (CPU time, GPU time and utilisation) by a power.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/energy/nvml.h"
#include "engine/energy/rapl.h"

namespace wb::energy {

class EnergyCounter {
public:
    virtual ~EnergyCounter() = default;
    /// Joules since the previous call (the first call: since construction). `dt_s`: seconds
    /// since then; `active_s`: those of them the run trained, paused time excluded.
    virtual double take(double dt_s, double active_s) = 0;
    /// True for a reading of what the hardware drew whatever the run did, so that the draw
    /// while the run was paused has to be taken out; false for estimates from the run's work.
    virtual bool counts_idle() const = 0;
    virtual bool estimated() const = 0;
    /// {"source", "scope", "label", ...}: what it is and how far to trust it.
    virtual nlohmann::json record() const = 0;
};

/// Package and DRAM energy of the whole machine; `proc_stat` tells how much of the machine's
/// CPU time was other processes' (its record's other_load_share).
std::unique_ptr<EnergyCounter> rapl_counter(RaplReader reader, std::string proc_stat);

/// The estimate's arithmetic: a busy core for one second draws `watts_per_core` joules.
double cpu_estimate_joules(double cpu_seconds, double watts_per_core);

/// This process's CPU seconds times `watts_per_core`.
std::unique_ptr<EnergyCounter> cpu_time_estimate(double watts_per_core);

/// The best an open NVML device offers: its energy counter, else integrated power samples, else
/// its utilisation times `gpu_watts`.
std::unique_ptr<EnergyCounter> nvml_counter(std::unique_ptr<NvmlDevice> device, double gpu_watts);

/// Without NVML: `gpu_watts` for every second the run trains (utilisation unknown, taken as
/// full: an upper bound).
std::unique_ptr<EnergyCounter> gpu_time_estimate(double gpu_watts);

/// "estimated: CPU time x 10 W per core" and friends: numbers in labels, without trailing zeros.
std::string watts_text(double watts);

}  // namespace wb::energy
