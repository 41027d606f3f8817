// Reading and checking grow.* (see grow_schedule.h).
#include "engine/api/grow_schedule.h"

#include <sstream>

namespace wb::api {
namespace {

constexpr int64_t kMaxLayers = 64;
constexpr int64_t kMaxWidth = 8192;

// "300, 600" -> {300, 600}; false (with an error) for an item that is not a whole number.
bool read_list(const std::string& text, const char* path, std::vector<int64_t>* out,
               std::vector<ConfigError>* errors) {
    std::stringstream ss(text);
    for (std::string item; std::getline(ss, item, ',');) {
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        std::size_t used = 0;
        int64_t v = 0;
        try {
            v = std::stoll(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (item.empty() || used != item.size()) {
            if (errors)
                errors->push_back({path, "'" + item +
                                             "' is not a whole number; write numbers separated "
                                             "by commas, e.g. 300,600"});
            return false;
        }
        out->push_back(v);
    }
    return true;
}

void add(std::vector<ConfigError>* errors, const char* path, std::string message) {
    if (errors) errors->push_back({path, std::move(message)});
}

}  // namespace

GptShape initial_shape(const ModelConfig& m) {
    return {m.layers, m.width, m.heads};
}

std::vector<GrowStage> grow_stages(const RunConfig& c, std::vector<ConfigError>* errors) {
    const GrowConfig& g = c.grow;
    std::vector<int64_t> steps, layers, widths;
    if (!read_list(g.at_steps, "grow.at_steps", &steps, errors) ||
        !read_list(g.layers, "grow.layers", &layers, errors) ||
        !read_list(g.width, "grow.width", &widths, errors))
        return {};
    if (steps.empty()) {
        if (!layers.empty() || !widths.empty())
            add(errors, layers.empty() ? "grow.width" : "grow.layers",
                "set, but grow.at_steps is empty: say after which steps to grow, e.g. "
                "grow.at_steps=300");
        return {};
    }
    if (layers.empty() && widths.empty()) {
        add(errors, "grow.at_steps",
            "says when to grow, but neither grow.layers nor grow.width says to what size");
        return {};
    }
    const auto count = [&](const std::vector<int64_t>& v, const char* path) {
        if (v.empty() || v.size() == steps.size()) return true;
        add(errors, path,
            std::to_string(v.size()) + " entries for " + std::to_string(steps.size()) +
                " steps in grow.at_steps; give one per step (or leave it empty)");
        return false;
    };
    if (!count(layers, "grow.layers") || !count(widths, "grow.width")) return {};
    std::vector<GrowStage> out;
    GptShape shape = initial_shape(c.model);
    const int64_t head_dim = shape.heads > 0 ? shape.width / shape.heads : 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const int64_t step = steps[i];
        const std::string at = " at step " + std::to_string(step);
        if (step <= 0 || step >= c.train.steps) {
            add(errors, "grow.at_steps",
                std::to_string(step) + " is not between 1 and the last step (train.steps " +
                    std::to_string(c.train.steps) + "), so the grown model would not train");
            break;
        }
        if (!out.empty() && step <= out.back().step) {
            add(errors, "grow.at_steps",
                "steps must increase: " + std::to_string(step) + " comes after " +
                    std::to_string(out.back().step));
            break;
        }
        GptShape next = shape;
        if (!layers.empty()) next.layers = layers[i];
        if (!widths.empty()) next.width = widths[i];
        if (next.layers < shape.layers || next.width < shape.width) {
            add(errors, next.layers < shape.layers ? "grow.layers" : "grow.width",
                "a growth cannot shrink the model:" + at + " " + std::to_string(next.layers) +
                    " blocks of width " + std::to_string(next.width) + " after " +
                    std::to_string(shape.layers) + " of width " + std::to_string(shape.width));
            break;
        }
        if (next.width % shape.width != 0) {
            add(errors, "grow.width",
                std::to_string(next.width) + at + " is not a multiple of " +
                    std::to_string(shape.width) +
                    ", the width before it: widening copies every unit a whole number of times");
            break;
        }
        if (next.layers > kMaxLayers || next.width > kMaxWidth) {
            add(errors, next.layers > kMaxLayers ? "grow.layers" : "grow.width",
                "at most " + std::to_string(kMaxLayers) + " blocks and width " +
                    std::to_string(kMaxWidth));
            break;
        }
        if (next == shape) {
            add(errors, "grow.at_steps", "the growth" + at + " changes neither depth nor width");
            break;
        }
        next.heads = head_dim > 0 ? next.width / head_dim : shape.heads;
        out.push_back({step, next});
        shape = next;
    }
    return out;
}

GptShape shape_at(const RunConfig& c, int64_t step) {
    GptShape shape = initial_shape(c.model);
    for (const auto& s : grow_stages(c))
        if (s.step <= step) shape = s.shape;
    return shape;
}

void validate_grow(const RunConfig& c, std::vector<ConfigError>* errors) {
    if (c.model.kind != "gpt") return;  // the fields' applies_to reports other models
    const auto stages = grow_stages(c, errors);
    if (stages.empty() || c.prune.method == "none") return;
    const bool oneshot = c.prune.schedule == "oneshot";
    const int64_t first = oneshot ? c.prune.at_step : c.prune.start_step;
    const int64_t last = stages.back().step;
    if (first < last)
        errors->push_back({oneshot ? "prune.at_step" : "prune.start_step",
                           "pruning starts at step " + std::to_string(first) +
                               ", before the last growth at step " + std::to_string(last) +
                               ": its masks fit one parameter set; start pruning at or after "
                               "step " +
                               std::to_string(last)});
}

}  // namespace wb::api
