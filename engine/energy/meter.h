// EnergyMeter: a run's energy from the best sources the machine offers, the CPU side (RAPL, else
// CPU time x watts per core) plus, for a CUDA run, the GPU (NVML, else an estimate); and the
// arithmetic that turns joules into kWh, cost and carbon.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/api/run_config.h"
#include "engine/energy/counters.h"

namespace wb::energy {

struct MeterOptions {
    std::string powercap_root = kPowercapRoot;
    std::string nvml_library = kNvmlLibrary;
    std::string proc_stat = "/proc/stat";
    bool cuda = false;   ///< the run trains on a GPU: measure it too
    int cuda_index = 0;  ///< CUDA's number of that GPU
    double cpu_watts_per_core = 10;
    double gpu_watts = 300;
};

class EnergyMeter {
public:
    explicit EnergyMeter(const MeterOptions& options);

    /// Adds the energy since the previous call (the first: since construction): `dt_s` seconds
    /// passed, `active_s` of them unpaused. A measured source's draw during a pause is replaced
    /// by its last unpaused power times the unpaused seconds. Returns joules().
    double sample(double dt_s, double active_s);

    double joules() const { return m_cpu.joules + m_gpu.joules; }
    double cpu_joules() const { return m_cpu.joules; }
    double gpu_joules() const { return m_gpu.joules; }
    bool has_gpu() const { return m_gpu.counter != nullptr; }
    /// Whether the CPU side reads the whole machine (RAPL), so that of several ranks on one
    /// machine one counts it; false for the per-process estimate.
    bool cpu_machine_wide() const { return m_cpu.counter->counts_idle(); }
    bool estimated() const;
    /// {"label", "estimated", "cpu": {...}, "gpu": {...}} for the run's environment record.
    nlohmann::json record() const;
    /// Why the better sources were not used: "RAPL: ...", "NVML: ...".
    const std::vector<std::string>& notes() const { return m_notes; }

private:
    struct Part {
        std::unique_ptr<EnergyCounter> counter;
        double joules = 0;
        double watts = -1;  ///< last unpaused interval's power; < 0: none yet
        void add(double dt_s, double active_s);
    };
    Part m_cpu, m_gpu;
    std::vector<std::string> m_notes;
};

struct EnergyCosts {
    double kwh = 0;
    double cost = 0;      ///< in the currency of the prices
    double carbon_g = 0;  ///< gCO2e
};

/// kWh = J / 3.6e6; cost = kWh x price_kwh + GPU-hours x price_gpu_hour; carbon = kWh x
/// carbon_g_per_kwh.
EnergyCosts costs_of(double joules, double gpu_hours, const api::EnergyConfig& prices);

}  // namespace wb::energy
