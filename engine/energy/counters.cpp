// The energy counters: two measurements (RAPL, NVML) and the estimates used where they are
// missing. Each says in its record whether it measured or estimated, and over what scope.
#include "engine/energy/counters.h"

#include <algorithm>
#include <cstdio>

#include "engine/energy/cpu_time.h"

namespace wb::energy {
namespace {

using nlohmann::json;

std::string joined(const std::vector<std::string>& parts, const char* sep) {
    std::string s;
    for (const auto& p : parts) s += (s.empty() ? "" : sep) + p;
    return s;
}

std::string gpu_text(const NvmlDevice& d) {
    return "GPU " + std::to_string(d.index()) + (d.name().empty() ? "" : " (" + d.name() + ")");
}

class RaplCounter final : public EnergyCounter {
public:
    RaplCounter(RaplReader reader, std::string proc_stat)
        : m_reader(std::move(reader)),
          m_proc_stat(std::move(proc_stat)),
          m_machine0(machine_busy_seconds(m_proc_stat)),
          m_process0(process_cpu_seconds()) {}

    double take(double, double) override {
        const double now = m_reader.joules();
        const double d = now - m_last;
        m_last = now;
        return d;
    }
    bool counts_idle() const override { return true; }
    bool estimated() const override { return false; }

    json record() const override {
        json j = {
            {"source", "rapl"}, {"scope", "machine-wide"}, {"domains", m_reader.domain_names()}};
        if (!m_reader.skipped().empty()) j["skipped"] = m_reader.skipped();
        std::string label = "measured: RAPL " + joined(m_reader.domain_names(), "+") +
                            ", machine-wide (includes other processes' load";
        // The machine's busy CPU time that was not this process's: how much of the reading
        // belongs to someone else, as far as CPU time tells.
        const auto machine = machine_busy_seconds(m_proc_stat);
        const double busy = machine && m_machine0 ? *machine - *m_machine0 : 0;
        if (busy > 0.5) {
            const double mine = process_cpu_seconds() - m_process0;
            const double other = std::clamp(1.0 - mine / busy, 0.0, 1.0);
            j["other_load_share"] = other;
            char buf[64];
            std::snprintf(buf, sizeof buf, ": %.0f%% of the CPU time during the run",
                          100.0 * other);
            label += buf;
        }
        j["label"] = label + ")";
        return j;
    }

private:
    RaplReader m_reader;
    std::string m_proc_stat;
    std::optional<double> m_machine0;
    double m_process0 = 0;
    double m_last = 0;
};

class CpuTimeEstimate final : public EnergyCounter {
public:
    explicit CpuTimeEstimate(double watts) : m_watts(watts), m_last(process_cpu_seconds()) {}

    double take(double, double) override {
        const double now = process_cpu_seconds();
        const double d = cpu_estimate_joules(now - m_last, m_watts);
        m_last = now;
        return d;
    }
    bool counts_idle() const override { return false; }
    bool estimated() const override { return true; }
    json record() const override {
        return {{"source", "cpu-time estimate"},
                {"scope", "process"},
                {"watts_per_core", m_watts},
                {"label", "estimated: CPU time x " + watts_text(m_watts) + " per core"}};
    }

private:
    double m_watts;
    double m_last;
};

class NvmlEnergy final : public EnergyCounter {
public:
    NvmlEnergy(std::unique_ptr<NvmlDevice> d, uint64_t first)
        : m_device(std::move(d)), m_last(first) {}

    double take(double, double) override {
        const auto now = m_device->energy_mj();
        if (!now || *now < m_last) return 0;  // a driver reload restarts the counter
        const double d = static_cast<double>(*now - m_last) * 1e-3;
        m_last = *now;
        return d;
    }
    bool counts_idle() const override { return true; }
    bool estimated() const override { return false; }
    json record() const override {
        return {{"source", "nvml"},
                {"method", "energy counter"},
                {"scope", "device-wide"},
                {"label", "measured: NVML energy counter, " + gpu_text(*m_device) +
                              ", device-wide (includes other processes on the GPU)"}};
    }

private:
    std::unique_ptr<NvmlDevice> m_device;
    uint64_t m_last;
};

// Trapezoids between power samples: as exact as the sampling is dense (about once a second).
class NvmlPower final : public EnergyCounter {
public:
    NvmlPower(std::unique_ptr<NvmlDevice> d, double first)
        : m_device(std::move(d)), m_last_w(first) {}

    double take(double dt_s, double) override {
        const double now = m_device->power_w().value_or(m_last_w);
        const double d = 0.5 * (m_last_w + now) * dt_s;
        m_last_w = now;
        return d;
    }
    bool counts_idle() const override { return true; }
    bool estimated() const override { return false; }
    json record() const override {
        return {{"source", "nvml"},
                {"method", "power samples"},
                {"scope", "device-wide"},
                {"label", "measured: NVML power samples, " + gpu_text(*m_device) +
                              ", device-wide (this GPU has no energy counter)"}};
    }

private:
    std::unique_ptr<NvmlDevice> m_device;
    double m_last_w;
};

class GpuEstimate final : public EnergyCounter {
public:
    GpuEstimate(std::unique_ptr<NvmlDevice> d, double watts)
        : m_device(std::move(d)), m_watts(watts) {}

    double take(double, double active_s) override {
        const double share = m_device ? m_device->utilisation().value_or(1.0) : 1.0;
        return share * m_watts * active_s;
    }
    bool counts_idle() const override { return false; }
    bool estimated() const override { return true; }
    json record() const override {
        if (m_device)
            return {{"source", "gpu utilisation estimate"},
                    {"scope", "device"},
                    {"gpu_watts", m_watts},
                    {"label", "estimated: " + gpu_text(*m_device) + " utilisation x " +
                                  watts_text(m_watts) + " (it reports no energy or power)"}};
        return {{"source", "gpu time estimate"},
                {"scope", "device"},
                {"gpu_watts", m_watts},
                {"label", "estimated: GPU at " + watts_text(m_watts) +
                              " while training (no NVML: an upper bound)"}};
    }

private:
    std::unique_ptr<NvmlDevice> m_device;
    double m_watts;
};

}  // namespace

double cpu_estimate_joules(double cpu_seconds, double watts_per_core) {
    return cpu_seconds * watts_per_core;
}

std::string watts_text(double watts) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g W", watts);
    return buf;
}

std::unique_ptr<EnergyCounter> rapl_counter(RaplReader reader, std::string proc_stat) {
    return std::make_unique<RaplCounter>(std::move(reader), std::move(proc_stat));
}

std::unique_ptr<EnergyCounter> cpu_time_estimate(double watts_per_core) {
    return std::make_unique<CpuTimeEstimate>(watts_per_core);
}

std::unique_ptr<EnergyCounter> nvml_counter(std::unique_ptr<NvmlDevice> device, double gpu_watts) {
    if (const auto mj = device->energy_mj())
        return std::make_unique<NvmlEnergy>(std::move(device), *mj);
    if (const auto w = device->power_w()) return std::make_unique<NvmlPower>(std::move(device), *w);
    return std::make_unique<GpuEstimate>(std::move(device), gpu_watts);
}

std::unique_ptr<EnergyCounter> gpu_time_estimate(double gpu_watts) {
    return std::make_unique<GpuEstimate>(nullptr, gpu_watts);
}

}  // namespace wb::energy
