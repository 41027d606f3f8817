#include "ui/config_diff.h"

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace wb::ui {
namespace {

void flatten(const nlohmann::json& j, const std::string& prefix,
             std::map<std::string, std::string>* out) {
    if (j.is_object() && !j.empty()) {
        for (auto it = j.begin(); it != j.end(); ++it)
            flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
        return;
    }
    (*out)[prefix] = j.is_string() ? j.get<std::string>() : j.dump();
}

}  // namespace

std::vector<ConfigDiffRow> configDiff(const std::vector<nlohmann::json>& configs) {
    std::vector<std::map<std::string, std::string>> flat(configs.size());
    std::map<std::string, bool> keys;  // sorted union
    for (std::size_t i = 0; i < configs.size(); ++i) {
        flatten(configs[i], {}, &flat[i]);
        for (const auto& [k, v] : flat[i]) keys[k] = true;
    }
    std::vector<ConfigDiffRow> rows;
    for (const auto& [key, unused] : keys) {
        ConfigDiffRow row;
        row.key = QString::fromStdString(key);
        const std::string* first = nullptr;
        bool differs = false;
        for (const auto& f : flat) {
            const auto it = f.find(key);
            if (it == f.end()) {
                differs = true;
                row.values << QString();
                continue;
            }
            row.values << QString::fromStdString(it->second);
            if (!first)
                first = &it->second;
            else
                differs = differs || *first != it->second;
        }
        if (differs) rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace wb::ui
