// Built-in presets from the embedded resources/presets/ files, and the preset file format.
#include "engine/api/presets.h"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/api/embedded_presets.h"

namespace wb::api {
namespace {

using nlohmann::json;

std::vector<Preset> build() {
    std::vector<Preset> out;
    for (const EmbeddedFile& f : embedded_presets()) {
        std::string error;
        auto p = parse_preset(f.text, std::string("resources/presets/") + f.name, &error);
        // A broken file in resources/ is a build defect; the preset test catches it.
        if (!p) throw std::logic_error(error);
        if (p->name + ".json" != f.name)
            throw std::logic_error(std::string("resources/presets/") + f.name + ": its name is '" +
                                   p->name + "'; the file must be called " + p->name + ".json");
        out.push_back(std::move(*p));
    }
    std::sort(out.begin(), out.end(), [](const Preset& a, const Preset& b) {
        const bool da = a.name == kDefaultPreset;
        const bool db = b.name == kDefaultPreset;
        return da != db ? da : a.name < b.name;
    });
    return out;
}

}  // namespace

const std::vector<Preset>& presets() {
    static const std::vector<Preset> kPresets = build();
    return kPresets;
}

const Preset* find_preset(const std::string& name) {
    for (const auto& p : presets())
        if (p.name == name) return &p;
    return nullptr;
}

std::optional<Preset> parse_preset(const std::string& text, const std::string& origin,
                                   std::string* error) {
    const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    const auto fail = [&](const std::string& why) {
        *error = origin + ": " + why;
        return std::nullopt;
    };
    if (j.is_discarded()) return fail("not valid JSON");
    if (!j.is_object())
        return fail(
            "a preset file is a JSON object {\"name\": ..., \"description\": ..., "
            "\"overlay\": {config keys}}");
    for (const auto& [key, value] : j.items())
        if (key != "name" && key != "description" && key != "overlay")
            return fail("unknown key '" + key + "'; a preset has name, description and overlay");
    if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty())
        return fail("\"name\" must be a non-empty string");
    if (j.contains("description") && !j["description"].is_string())
        return fail("\"description\" must be a string");
    if (!j.contains("overlay") || !j["overlay"].is_object())
        return fail(
            "\"overlay\" must be an object of config keys, e.g. {\"train\": {\"steps\": 500}}");
    std::vector<ConfigError> errors;
    Preset p;
    p.name = j["name"].get<std::string>();
    p.description = j.value("description", std::string());
    p.config = RunConfig::from_json(j["overlay"], &errors);
    auto problems = p.config.validate();
    errors.insert(errors.end(), problems.begin(), problems.end());
    if (!errors.empty()) return fail("invalid overlay:\n" + format_errors(errors));
    return p;
}

std::string preset_file_text(const Preset& preset) {
    const json j = {{"name", preset.name},
                    {"description", preset.description},
                    {"overlay", preset.config.to_json()}};
    return j.dump(2) + "\n";
}

}  // namespace wb::api
