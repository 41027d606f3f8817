// Choosing the sources, best first, and adding up what they report.
#include "engine/energy/meter.h"

namespace wb::energy {

EnergyMeter::EnergyMeter(const MeterOptions& o) {
    std::string why;
    if (auto rapl = RaplReader::open(o.powercap_root, &why)) {
        for (const auto& s : rapl->skipped()) m_notes.push_back("RAPL: left out " + s);
        m_cpu.counter = rapl_counter(std::move(*rapl), o.proc_stat);
    } else {
        m_notes.push_back("RAPL: " + why);
        m_cpu.counter = cpu_time_estimate(o.cpu_watts_per_core);
    }
    if (!o.cuda) return;
    if (auto device = NvmlDevice::open(o.nvml_library, o.cuda_index, &why)) {
        m_gpu.counter = nvml_counter(std::move(device), o.gpu_watts);
    } else {
        m_notes.push_back("NVML: " + why);
        m_gpu.counter = gpu_time_estimate(o.gpu_watts);
    }
}

void EnergyMeter::Part::add(double dt_s, double active_s) {
    if (!counter) return;
    double j = counter->take(dt_s, active_s);
    const double paused_s = dt_s - active_s;
    if (counter->counts_idle() && paused_s > 1e-3 && dt_s > 0) {
        // The reading includes the machine idling through a pause: keep only the unpaused
        // seconds, at the power measured just before (or, with none yet, this interval's).
        j = watts >= 0 ? watts * active_s : j * active_s / dt_s;
    } else if (active_s > 1e-3) {
        watts = j / active_s;
    }
    joules += j;
}

double EnergyMeter::sample(double dt_s, double active_s) {
    m_cpu.add(dt_s, active_s);
    m_gpu.add(dt_s, active_s);
    return joules();
}

bool EnergyMeter::estimated() const {
    return m_cpu.counter->estimated() || (m_gpu.counter && m_gpu.counter->estimated());
}

nlohmann::json EnergyMeter::record() const {
    nlohmann::json j = {{"cpu", m_cpu.counter->record()}, {"estimated", estimated()}};
    std::string label = j["cpu"].value("label", "");
    if (m_gpu.counter) {
        j["gpu"] = m_gpu.counter->record();
        label += " + " + j["gpu"].value("label", "");
    }
    j["label"] = label;
    if (!m_notes.empty()) j["notes"] = m_notes;
    return j;
}

EnergyCosts costs_of(double joules, double gpu_hours, const api::EnergyConfig& prices) {
    EnergyCosts c;
    c.kwh = joules / 3.6e6;
    c.cost = c.kwh * prices.price_kwh + gpu_hours * prices.price_gpu_hour;
    c.carbon_g = c.kwh * prices.carbon_g_per_kwh;
    return c;
}

}  // namespace wb::energy
