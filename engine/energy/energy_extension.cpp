// The meter at the run loop's hooks: started with the session, sampled at most once a second
// after a step (RAPL and NVML counters update every few milliseconds, but a read per step would
// cost time on sub-millisecond steps and give noisy watts), and at the end; its total goes into
// every checkpoint so a resumed run keeps counting.
#include "engine/energy/energy_extension.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <utility>

#include "engine/energy/meter.h"

namespace wb::energy {
namespace {

using engine::RunHost;
using Clock = std::chrono::steady_clock;

constexpr double kSampleEvery_s = 1.0;
constexpr double kWattsWindow_s = 3.0;  ///< energy/watts averages over at least this long

class EnergyExtension final : public engine::RunExtension {
public:
    explicit EnergyExtension(const api::EnergyConfig& config) : m_config(config) {}

    const char* key() const override { return "energy"; }

    void load(RunHost& host, torch::serialize::InputArchive* archive, int64_t step) override {
        (void)host;
        c10::IValue v;
        if (!archive || !archive->try_read("joules", v)) {
            m_from_step = step;  // saved before runs were measured: count from here
            return;
        }
        m_base_joules = v.toDouble();
        if (archive->try_read("gpu_s", v)) m_base_gpu_s = v.toDouble();
        if (archive->try_read("from_step", v)) m_from_step = v.toInt();
        if (archive->try_read("label", v)) m_earlier_label = v.toStringRef();
        if (archive->try_read("estimated", v)) m_earlier_estimated = v.toBool();
    }

    void on_start(RunHost& host, bool restored) override {
        (void)restored;
        m_host = &host;
        MeterOptions o;
        o.cuda = host.device.is_cuda();
        o.cuda_index = host.device.has_index() ? host.device.index() : 0;
        o.cpu_watts_per_core = m_config.cpu_watts_per_core;
        o.gpu_watts = m_config.gpu_watts;
        m_meter = std::make_unique<EnergyMeter>(o);
        for (const auto& note : m_meter->notes()) host.log("info", "energy: " + note);
        m_last_tick = Clock::now();
        m_last_wall = host.wall_s();
        m_window.assign(1, {m_active_s, total_joules()});
        const auto rec = record();
        host.log("info", "energy: " + rec.value("label", std::string()));
        host.attribute("energy", rec.dump());
    }

    // Over several ranks every step is sampled, so that what this rank hands the step's
    // reduction (own_joules) is never more than a step old (a step there is milliseconds, a
    // sample microseconds); rank 0 adds the others' to its own.
    void after_step(RunHost& host) override {
        const bool ranks = host.request.dist.active();
        if (!ranks &&
            std::chrono::duration<double>(Clock::now() - m_last_tick).count() < kSampleEvery_s)
            return;
        sample();
        host.own_joules = own_joules(host);
        if (!ranks ||
            std::chrono::duration<double>(Clock::now() - m_last_emit).count() >= kSampleEvery_s)
            emit(host);
    }

    void on_end(RunHost& host) override {
        if (!m_meter) return;
        sample();
        emit(host);
        host.attribute("energy", record().dump());  // now with the other load RAPL saw
    }

    void save(torch::serialize::OutputArchive& archive) override {
        if (m_meter) sample();
        archive.write("joules", c10::IValue(total_joules()));
        archive.write("gpu_s", c10::IValue(m_base_gpu_s + m_gpu_s));
        archive.write("from_step", c10::IValue(m_from_step));
        archive.write("label", c10::IValue(label()));
        archive.write("estimated", c10::IValue(estimated()));
    }

private:
    // This session's joules of this rank that count to the run: a machine-wide CPU reading
    // (RAPL) only on each machine's first rank, since it covers the machine's other ranks too.
    double own_joules(const RunHost& host) const {
        if (!m_meter) return 0;
        const bool counts_cpu = !m_meter->cpu_machine_wide() || host.request.dist.local_rank == 0;
        return (counts_cpu ? m_meter->cpu_joules() : 0.0) + m_meter->gpu_joules();
    }
    // The other ranks' share, as the last step's reduction gathered it.
    double others_joules() const {
        if (!m_host || m_host->rank_joules.empty()) return 0;
        double sum = 0;
        for (size_t r = 0; r < m_host->rank_joules.size(); ++r)
            if (static_cast<int>(r) != m_host->request.dist.rank) sum += m_host->rank_joules[r];
        return sum;
    }
    double total_joules() const {
        if (!m_meter) return m_base_joules;
        if (!m_host || !m_host->request.dist.active()) return m_base_joules + m_meter->joules();
        return m_base_joules + own_joules(*m_host) + others_joules();
    }
    std::string label() const {
        return m_meter ? m_meter->record().value("label", std::string()) : m_earlier_label;
    }
    bool estimated() const { return m_earlier_estimated || !m_meter || m_meter->estimated(); }

    void sample() {
        const auto now = Clock::now();
        const double wall = m_host->wall_s();
        const double dt = std::chrono::duration<double>(now - m_last_tick).count();
        const double active = std::clamp(wall - m_last_wall, 0.0, dt);
        m_last_tick = now;
        m_last_wall = wall;
        m_meter->sample(dt, active);
        m_active_s += active;
        if (m_meter->has_gpu()) m_gpu_s += active;
        m_window.emplace_back(m_active_s, total_joules());
        while (m_window.size() > 2 && m_window.back().first - m_window[1].first >= kWattsWindow_s)
            m_window.pop_front();
    }

    void emit(RunHost& host) {
        m_last_emit = Clock::now();
        const double joules = total_joules();
        host.metric("energy/joules", joules);
        for (size_t r = 0; r < host.rank_joules.size(); ++r)
            host.metric("dist/joules_rank" + std::to_string(r),
                        static_cast<int>(r) == host.request.dist.rank ? own_joules(host)
                                                                      : host.rank_joules[r]);
        const double span = m_window.back().first - m_window.front().first;
        if (span > 1e-3)
            host.metric("energy/watts", (m_window.back().second - m_window.front().second) / span);
        const auto c = costs_of(joules, (m_base_gpu_s + m_gpu_s) / 3600.0, m_config);
        host.metric("energy/kwh", c.kwh);
        host.metric("cost/total", c.cost);
        host.metric("carbon/grams", c.carbon_g);
    }

    nlohmann::json record() const {
        nlohmann::json j = m_meter->record();
        j["from_step"] = m_from_step;
        std::string text = j.value("label", std::string());
        if (m_from_step > 0)
            text += " (steps before " + std::to_string(m_from_step) + " not measured)";
        if (!m_earlier_label.empty() && m_earlier_label != j.value("label", std::string())) {
            j["earlier_label"] = m_earlier_label;
            text += "; before the resume: " + m_earlier_label;
        }
        if (m_host && m_host->request.dist.active()) {
            const int world = m_host->request.dist.world;
            j["ranks"] = world;
            text += "; summed over the " + std::to_string(world) + " ranks" +
                    (m_meter->cpu_machine_wide() ? " (the machine-wide CPU reading once a machine)"
                                                 : "");
        }
        j["label"] = text;
        j["estimated"] = estimated();
        return j;
    }

    const api::EnergyConfig m_config;  ///< prices and estimate powers
    RunHost* m_host = nullptr;
    std::unique_ptr<EnergyMeter> m_meter;
    double m_base_joules = 0, m_base_gpu_s = 0;  ///< from the checkpoint resumed
    int64_t m_from_step = 0;
    std::string m_earlier_label;
    bool m_earlier_estimated = false;
    Clock::time_point m_last_tick = Clock::now(), m_last_emit = Clock::now();
    double m_last_wall = 0;
    double m_active_s = 0, m_gpu_s = 0;  ///< this session's unpaused seconds, on the GPU
    std::deque<std::pair<double, double>> m_window;  ///< (active seconds, joules) samples
};

}  // namespace

std::unique_ptr<engine::RunExtension> make_energy_meter(const api::RunConfig& config) {
    return std::make_unique<EnergyExtension>(config.energy);
}

}  // namespace wb::energy
