// RunConfig's JSON round-trip, text setters and validation, all driven by the schema table.
#include "engine/api/run_config.h"

#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/api/dist_rules.h"
#include "engine/api/grow_schedule.h"
#include "engine/api/model_kinds.h"
#include "engine/api/schema.h"

namespace wb::api {
namespace {

using nlohmann::json;

std::string number_text(double v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

void set_path(json& root, const std::string& path, json value) {
    json* node = &root;
    std::size_t start = 0;
    for (std::size_t dot = path.find('.'); dot != std::string::npos;
         start = dot + 1, dot = path.find('.', start)) {
        node = &(*node)[path.substr(start, dot - start)];
    }
    (*node)[path.substr(start)] = std::move(value);
}

void flatten(const json& j, const std::string& prefix,
             std::vector<std::pair<std::string, json>>* out) {
    for (auto it = j.begin(); it != j.end(); ++it) {
        std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
        if (it->is_object())
            flatten(*it, key, out);
        else
            out->emplace_back(key, *it);
    }
}

// Converts a JSON value to the field's type, or explains why it cannot.
bool coerce(const FieldSpec& f, const json& v, json* out, std::string* why) {
    switch (f.type) {
        case FieldType::Bool:
            if (v.is_boolean()) return *out = v, true;
            *why = "expects true or false";
            return false;
        case FieldType::Int:
            if (v.is_number_integer()) return *out = v, true;
            if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() &&
                std::fabs(v.get<double>()) < 9e15)
                return *out = static_cast<int64_t>(v.get<double>()), true;
            *why = "expects a whole number";
            return false;
        case FieldType::Float:
            if (v.is_number()) return *out = v.get<double>(), true;
            *why = "expects a number";
            return false;
        case FieldType::Choice:
        case FieldType::Text:
            if (v.is_string()) return *out = v, true;
            *why = "expects a string";
            return false;
        case FieldType::Unset:
            break;
    }
    *why = "has no type";
    return false;
}

std::string choices_text(const std::vector<std::string>& choices) {
    std::string s;
    for (const auto& c : choices) s += (s.empty() ? "" : ", ") + c;
    return s;
}

// A setting left at a non-default value on a model it does nothing for: say so rather than
// let the user believe it took effect. Empty when the field applies, holds its default, or is
// a switch left off (eval.fid=false on a GPT asks for nothing the GPT could do).
std::string inapplicable(const FieldSpec& f, const RunConfig& c) {
    if (f.applies_to_model(c.model.kind)) return {};
    const json v = f.get(c);
    if (v == f.default_value() || (v.is_boolean() && !v.get<bool>())) return {};
    std::string list;
    const auto& models = f.applies_to.models;
    for (size_t i = 0; i < models.size(); ++i)
        list += (i == 0 ? "" : i + 1 == models.size() ? " and " : ", ") + models[i];
    const json d = f.default_value();
    const std::string plain =
        d.is_string() && !d.get<std::string>().empty() ? d.get<std::string>() : d.dump();
    return f.label + " has no effect on model.kind '" + c.model.kind + "': it applies to " + list +
           ". Set " + f.path + "=" + plain + " or use model.kind=" + models.front();
}

// Empty when `text` is a comma list of DiffAugment names, else what is wrong.
std::string diff_augment_problem(const std::string& text) {
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (item != "color" && item != "translation" && item != "cutout")
            return "'" + item +
                   "' is not an augmentation; use any of color, translation, cutout "
                   "separated by commas (e.g. color,translation,cutout)";
    }
    return {};
}

void validate_prune(const RunConfig& c, std::vector<ConfigError>* errors) {
    const PruneConfig& p = c.prune;
    if (p.method == "none") return;
    if (p.method == "channel" && c.model.kind == "progan")
        errors->push_back({"prune.method",
                           "channel pruning cannot yet remove channels from ProGAN's growing "
                           "blocks and their toRGB/fromRGB branches; use magnitude or 2:4, or "
                           "model.kind=dcgan"});
    const std::string steps = std::to_string(c.train.steps);
    if (p.method == "2:4") {
        if (p.target != 0.5)
            errors->push_back({"prune.target",
                               "2:4 always removes exactly half of the weights; "
                               "set prune.target=0.5"});
        if (p.scope != "layer")
            errors->push_back({"prune.scope",
                               "2:4 picks 2 of every 4 neighbouring weights, so "
                               "there is no global ranking; set prune.scope=layer"});
        if (p.schedule != "oneshot")
            errors->push_back({"prune.schedule",
                               "2:4 has one fixed sparsity and cannot be "
                               "reached gradually; set prune.schedule=oneshot"});
    }
    if (p.schedule == "oneshot" && p.at_step > c.train.steps)
        errors->push_back({"prune.at_step", std::to_string(p.at_step) +
                                                " is after the last step (train.steps " + steps +
                                                "), so nothing would be pruned; lower it"});
    if (p.schedule == "gradual") {
        if (p.start_step >= p.end_step)
            errors->push_back({"prune.end_step", "must be after prune.start_step (" +
                                                     std::to_string(p.start_step) + ")"});
        if (p.end_step > c.train.steps)
            errors->push_back(
                {"prune.end_step", std::to_string(p.end_step) +
                                       " is after the last step (train.steps " + steps +
                                       "), so the target would never be reached; lower it"});
        if (p.initial > p.target)
            errors->push_back({"prune.initial",
                               "must not exceed prune.target: gradual pruning "
                               "only ever removes weights"});
    }
}

}  // namespace

json RunConfig::to_json() const {
    json j = json::object();
    for (const auto& f : schema()) set_path(j, f.path, f.get(*this));
    return j;
}

RunConfig RunConfig::from_json(const json& j, std::vector<ConfigError>* errors,
                               const RunConfig& base) {
    RunConfig c = base;
    if (!j.is_object()) {
        errors->push_back(
            {"", "the config must be a JSON object, got " + std::string(j.type_name())});
        return c;
    }
    std::vector<std::pair<std::string, json>> leaves;
    flatten(j, "", &leaves);
    for (const auto& [path, value] : leaves) {
        const FieldSpec* f = find_field(path);
        if (!f) {
            errors->push_back({path, "unknown key (see `workbench-cli schema` for every key)"});
            continue;
        }
        json typed;
        std::string why;
        if (!coerce(*f, value, &typed, &why)) {
            errors->push_back({path, value.dump() + " is the wrong type: the field " + why});
            continue;
        }
        f->set(c, typed);
    }
    return c;
}

RunConfig RunConfig::from_json(const json& j, std::vector<ConfigError>* errors) {
    return from_json(j, errors, RunConfig{});
}

bool RunConfig::set(const std::string& path, const std::string& text,
                    std::vector<ConfigError>* errors) {
    const FieldSpec* f = find_field(path);
    if (!f) {
        errors->push_back({path, "unknown key (see `workbench-cli schema` for every key)"});
        return false;
    }
    json value;
    switch (f->type) {
        case FieldType::Bool:
            if (text == "true" || text == "on" || text == "1" || text == "yes")
                value = true;
            else if (text == "false" || text == "off" || text == "0" || text == "no")
                value = false;
            break;
        case FieldType::Int:
        case FieldType::Float: {
            char* end = nullptr;
            double d = std::strtod(text.c_str(), &end);
            if (!text.empty() && end && *end == '\0' && std::isfinite(d)) {
                if (f->type == FieldType::Float)
                    value = d;
                else if (std::floor(d) == d && std::fabs(d) < 9e15)
                    value = static_cast<int64_t>(d);
            }
            break;
        }
        case FieldType::Choice:
        case FieldType::Text:
            value = text;
            break;
        case FieldType::Unset:
            break;
    }
    if (value.is_null()) {
        errors->push_back({path, "'" + text + "' is not a valid " + to_string(f->type)});
        return false;
    }
    f->set(*this, value);
    return true;
}

std::vector<ConfigError> RunConfig::validate() const {
    std::vector<ConfigError> errors;
    for (const auto& f : schema()) {
        json v = f.get(*this);
        const size_t before = errors.size();
        if (f.type == FieldType::Int || f.type == FieldType::Float) {
            double d = v.get<double>();
            if (!std::isfinite(d) || d < f.min || d > f.max)
                errors.push_back({f.path, number_text(d) + " is out of range [" +
                                              number_text(f.min) + ", " + number_text(f.max) +
                                              "]"});
        } else if (f.type == FieldType::Choice) {
            const auto s = v.get<std::string>();
            bool ok = false;
            for (const auto& c : f.choices) ok = ok || c == s;
            if (!ok)
                errors.push_back({f.path, "'" + s + "' is not one of: " + choices_text(f.choices)});
        }
        if (errors.size() == before)
            if (auto why = inapplicable(f, *this); !why.empty()) errors.push_back({f.path, why});
    }
    const ModelKind* kind = find_model_kind(model.kind);
    if (kind && kind->data != data.name)
        errors.push_back({"data.name", "'" + data.name + "' does not fit model.kind '" +
                                           model.kind + "'; use data.name=" + kind->data});
    if (model.kind == "gpt" && model.heads > 0 && model.width % model.heads != 0)
        errors.push_back({"model.heads", "model.width " + std::to_string(model.width) +
                                             " must be divisible by model.heads " +
                                             std::to_string(model.heads)});
    if (model.kind == "gpt" && model.attention == "window" && model.window > model.context)
        errors.push_back({"model.window", "the window " + std::to_string(model.window) +
                                              " is larger than model.context " +
                                              std::to_string(model.context) +
                                              "; use at most the context, or attention dense"});
    if (model.kind == "gpt" && model.attention == "block") {
        if (model.block_size > 0 && model.context % model.block_size != 0)
            errors.push_back({"model.block_size", "model.context " + std::to_string(model.context) +
                                                      " must be divisible by the block size " +
                                                      std::to_string(model.block_size)});
        if (model.summary_tokens >= model.block_size)
            errors.push_back({"model.summary_tokens", "must be fewer than the block size " +
                                                          std::to_string(model.block_size)});
        if (model.global_tokens >= model.context)
            errors.push_back({"model.global_tokens",
                              "must be fewer than model.context " + std::to_string(model.context)});
    }
    const bool is_gan = kind && kind->family == "gan";
    if (is_gan && gan.pack > 0 && train.batch_size % gan.pack != 0)
        errors.push_back({"gan.pack", "train.batch_size " + std::to_string(train.batch_size) +
                                          " must be divisible by gan.pack " +
                                          std::to_string(gan.pack)});
    if (progressive.enabled && gan.pack > 0) {
        const std::pair<const char*, int64_t> batches[] = {
            {"progressive.batch_4", progressive.batch_4},
            {"progressive.batch_8", progressive.batch_8},
            {"progressive.batch_16", progressive.batch_16},
            {"progressive.batch_32", progressive.batch_32}};
        for (const auto& [key, b] : batches)
            if (b > 0 && b % gan.pack != 0)
                errors.push_back({key, std::to_string(b) + " must be divisible by gan.pack " +
                                           std::to_string(gan.pack)});
    }
    if (gan.d_steps_adaptive && gan.d_steps_max < gan.d_steps_per_g)
        errors.push_back({"gan.d_steps_max", "gan.d_steps_max " + std::to_string(gan.d_steps_max) +
                                                 " is below gan.d_steps_per_g " +
                                                 std::to_string(gan.d_steps_per_g) +
                                                 ", where adaptive D steps start; raise it"});
    if (!augment.diff.empty()) {
        std::string bad = diff_augment_problem(augment.diff);
        if (!bad.empty()) errors.push_back({"augment.diff", bad});
    }
    if (optim.nesterov && (optim.name != "sgd" || optim.momentum <= 0))
        errors.push_back(
            {"optim.nesterov", "Nesterov momentum needs optim.name=sgd and optim.momentum > 0"});
    if (optim.fused && optim.name == "sgd")
        errors.push_back({"optim.fused",
                          "there is no fused sgd step; use adam, adamw, adabelief or lamb, or "
                          "turn optim.fused off"});
    if (optim.warmup_steps >= train.steps && optim.warmup_steps > 0)
        errors.push_back({"optim.warmup_steps",
                          std::to_string(optim.warmup_steps) +
                              " warm-up steps leave no step at the full learning rate in " +
                              std::to_string(train.steps) + " steps; lower it below train.steps"});
    validate_prune(*this, &errors);
    validate_grow(*this, &errors);
    if (distill.enabled() && model.kind != "gpt")
        errors.push_back({"distill.teacher",
                          "distillation teaches a GPT from a GPT run; model.kind " + model.kind +
                              " has no teacher yet: set "
                              "distill.teacher=0"});
    else if (distill.enabled() && dist.distributed())
        errors.push_back({"distill.teacher",
                          "a distilled run trains in one process for now: set "
                          "dist.mode=off, or distill.teacher=0"});
    // Under torchrun its WORLD_SIZE counts; the run service checks that one again at start.
    for (auto& e : dist_problems(*this, dist.world_size)) errors.push_back(std::move(e));
    return errors;
}

bool RunConfig::operator==(const RunConfig& other) const {
    return to_json() == other.to_json();
}

std::string format_errors(const std::vector<ConfigError>& errors) {
    std::string s;
    for (const auto& e : errors) s += (e.path.empty() ? "" : e.path + ": ") + e.message + "\n";
    return s;
}

}  // namespace wb::api
