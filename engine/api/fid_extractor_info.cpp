// Reading the "fid_extractor" record out of a run's environment JSON.
#include "engine/api/fid_extractor_info.h"

#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

namespace wb::api {

std::optional<FidExtractorInfo> fid_extractor_of(const std::string& env_json) {
    const auto env = nlohmann::json::parse(env_json, nullptr, /*allow_exceptions=*/false);
    if (!env.is_object()) return std::nullopt;
    const auto it = env.find("fid_extractor");
    if (it == env.end() || !it->is_object()) return std::nullopt;
    FidExtractorInfo info;
    info.checksum = it->value("checksum", "");
    info.test_accuracy = it->value("test_accuracy", 0.0);
    info.canonical = it->value("canonical", false);
    info.path = it->value("path", "");
    if (info.checksum.empty()) return std::nullopt;
    return info;
}

std::string describe(const FidExtractorInfo& info) {
    char acc[32];
    std::snprintf(acc, sizeof acc, "%.2f%%", 100.0 * info.test_accuracy);
    return "extractor " + info.checksum + ", " + acc + " test accuracy" +
           (info.canonical ? "" : ", not the canonical one");
}

std::string fid_extractor_mismatch(const std::vector<std::string>& env_jsons) {
    std::set<std::string> checksums;
    for (const auto& env : env_jsons)
        if (auto info = fid_extractor_of(env)) checksums.insert(info->checksum);
    if (checksums.size() < 2) return {};
    std::string list;
    for (const auto& c : checksums) list += (list.empty() ? "" : ", ") + c;
    return "These runs' FID/KID were measured with different feature extractors (" + list +
           "), so their FID/KID values are not comparable.";
}

}  // namespace wb::api
