// Reading the "energy" record out of a run's environment JSON.
#include "engine/api/energy_info.h"

#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/api/metric_catalog.h"

namespace wb::api {
namespace {

std::optional<EnergySourceInfo> info_of(const nlohmann::json& record) {
    if (!record.is_object()) return std::nullopt;
    EnergySourceInfo info;
    info.label = record.value("label", "");
    info.estimated = record.value("estimated", true);
    if (info.label.empty()) return std::nullopt;
    for (const char* part : {"cpu", "gpu"}) {
        const auto p = record.find(part);
        if (p == record.end() || !p->is_object()) continue;
        std::string m = p->value("source", "unknown");
        char watts[64] = {0};
        if (p->contains("watts_per_core"))
            std::snprintf(watts, sizeof watts, " at %g W per core",
                          p->value("watts_per_core", 0.0));
        else if (p->contains("gpu_watts"))
            std::snprintf(watts, sizeof watts, " at %g W", p->value("gpu_watts", 0.0));
        info.method += (info.method.empty() ? "" : " + ") + m + watts;
    }
    return info;
}

}  // namespace

std::optional<EnergySourceInfo> energy_source_of(const std::string& env_json) {
    const auto env = nlohmann::json::parse(env_json, nullptr, /*allow_exceptions=*/false);
    if (!env.is_object()) return std::nullopt;
    const auto it = env.find("energy");
    return it == env.end() ? std::nullopt : info_of(*it);
}

std::optional<EnergySourceInfo> energy_record_info(const std::string& record_json) {
    return info_of(nlohmann::json::parse(record_json, nullptr, /*allow_exceptions=*/false));
}

bool is_energy_metric(const std::string& name) {
    const MetricInfo* m = find_metric(name);
    return m && m->group == PlotGroup::Energy;
}

std::string energy_qualifier(const std::string& env_json) {
    const auto info = energy_source_of(env_json);
    if (!info) return {};
    if (!info->estimated) return "measured";
    // A CUDA run can have a measured GPU and an estimated CPU share (or the reverse).
    const bool measured_part = info->label.find("measured:") != std::string::npos;
    return measured_part ? "partly estimated" : "estimated";
}

std::string energy_source_mismatch(const std::vector<std::string>& env_jsons) {
    std::set<std::string> methods;
    for (const auto& env : env_jsons)
        if (auto info = energy_source_of(env)) methods.insert(info->method);
    if (methods.size() < 2) return {};
    std::string list;
    for (const auto& m : methods) list += (list.empty() ? "" : "; ") + m;
    return "These runs' energy was measured or estimated in different ways (" + list +
           "), so energy deltas between them compare different things.";
}

}  // namespace wb::api
