// Internal to wb_api: the helpers that build the field table, shared by its translation units.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/api/schema.h"

namespace wb::api::schema_build {

// Binds a FieldSpec to the member `expr` of RunConfig (e.g. train.steps): the key path is the
// member path, so a field cannot be spelled two ways.
#define WB_BIND(expr, T)                                                                 \
#expr,                                                                               \
        [](const RunConfig& c) { return nlohmann::json(c.expr); },                       \
                                                                [](RunConfig & c,        \
                                                                   const nlohmann::json& \
                                                                       v) { c.expr = v.get<T>(); }

inline FieldSpec make(const char* path, std::function<nlohmann::json(const RunConfig&)> get,
                      std::function<void(RunConfig&, const nlohmann::json&)> set, FieldType type,
                      const char* section, const char* label, const char* help) {
    FieldSpec f;
    f.path = path;
    f.get = std::move(get);
    f.set = std::move(set);
    f.type = type;
    f.section = section;
    f.label = label;
    f.help = help;
    return f;
}

inline FieldSpec ranged(FieldSpec f, double lo, double hi, bool log_scale = false) {
    f.min = lo;
    f.max = hi;
    f.log_scale = log_scale;
    return f;
}

inline FieldSpec choice(FieldSpec f, std::vector<std::string> choices) {
    f.choices = std::move(choices);
    return f;
}

constexpr double kMaxSteps = 10'000'000;

/// The fields of the optimization toggles: GAN controls, progressive growing, pruning,
/// sampling and augmentation (schema_optimizations.cpp).
void add_optimization_fields(std::vector<FieldSpec>& s);

/// The language model's attention pattern (schema_attention.cpp).
void add_attention_fields(std::vector<FieldSpec>& s);
/// The energy section: prices, grid intensity, estimate powers (schema_energy.cpp).
void add_energy_fields(std::vector<FieldSpec>& s);
/// Data-parallel training over ranks (schema_dist.cpp).
void add_dist_fields(std::vector<FieldSpec>& s);
/// Distilling the language model from a trained teacher run (schema_distill.cpp).
void add_distill_fields(std::vector<FieldSpec>& s);
/// Growing the language model while it trains (schema_grow.cpp).
void add_grow_fields(std::vector<FieldSpec>& s);

/// Fills every field's applies_to from the table in schema_applies.cpp; throws std::logic_error
/// when a field is missing there (a new field must say where it applies).
void set_applies_to(std::vector<FieldSpec>& fields);

}  // namespace wb::api::schema_build
