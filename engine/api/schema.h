// The config schema: for every RunConfig field its type, default, range or choices, label and
// teaching text. The UI builds its forms from it; the CLI's --set and error messages use it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/api/run_config.h"

namespace wb::api {

enum class FieldType { Unset = 0, Bool, Int, Float, Choice, Text };

/// Where a field has an effect: on the models it lists (empty: every model) and, where it
/// matters, only while another field holds one of `values` (sampler.alpha: sampler.kind hard).
struct AppliesTo {
    std::vector<std::string> models;
    std::string field;
    std::vector<nlohmann::json> values;
};

struct FieldSpec {
    std::string path;  ///< "train.steps"
    FieldType type = FieldType::Unset;
    std::string section;  ///< UI group: "Model", "Data", "Training", ...
    std::string label;    ///< one line
    std::string help;     ///< teaching text: what it does, what it costs, what to expect
    double min = 0;       ///< Int/Float: inclusive range
    double max = 0;
    bool log_scale = false;            ///< Float: spans decades (learning rates)
    std::vector<std::string> choices;  ///< Choice
    AppliesTo applies_to;
    std::function<nlohmann::json(const RunConfig&)> get;
    std::function<void(RunConfig&, const nlohmann::json&)> set;

    nlohmann::json default_value() const { return get(RunConfig{}); }
    /// Whether the field does anything for this model kind.
    bool applies_to_model(const std::string& kind) const;
    /// Whether it does anything in `c`: its model, and its condition (whose own field must
    /// apply too, so prune.at_step needs prune.schedule oneshot and pruning on).
    bool applies(const RunConfig& c) const;
};

/// Every field, in display order.
const std::vector<FieldSpec>& schema();
/// nullptr when `path` names no field.
const FieldSpec* find_field(const std::string& path);
/// Section names in display order, each with its teaching text.
struct SectionSpec {
    std::string name;
    std::string help;
};
const std::vector<SectionSpec>& sections();
/// Sets every field that does nothing for c.model.kind back to its default: for configs stored
/// or loaded from elsewhere, where such a leftover would otherwise fail validation although it
/// could never take effect. Does nothing for an unknown model kind (validation names it).
void reset_inapplicable_fields(RunConfig& c);
/// The schema as JSON (for `workbench-cli schema --json` and external tools).
nlohmann::json schema_json();
const char* to_string(FieldType t);

}  // namespace wb::api
