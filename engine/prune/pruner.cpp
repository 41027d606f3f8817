// Layer selection, the schedule, mask upkeep and the masks' checkpoint format.
#include "engine/prune/pruner.h"

#include <unordered_set>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "engine/prune/masks.h"

namespace wb::prune {

namespace {

std::vector<std::string> split_names(const std::string& text) {
    std::vector<std::string> names;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
        if (b != std::string::npos) names.push_back(item.substr(b, e - b + 1));
    }
    return names;
}

template <typename T>
std::string name_list(const std::vector<T>& items) {
    std::string s;
    for (const auto& i : items) s += (s.empty() ? "" : ", ") + i.name;
    return s;
}

template <typename T, typename Fits>
std::vector<T> select(const std::vector<T>& all, const std::string& text, Fits fits,
                      const std::string& what) {
    std::vector<T> chosen;
    const auto names = split_names(text);
    if (names.empty()) {
        for (const auto& i : all)
            if (i.by_default && fits(i)) chosen.push_back(i);
    } else {
        for (const auto& n : names) {
            auto it = std::find_if(all.begin(), all.end(), [&](const T& i) { return i.name == n; });
            if (it == all.end() || !fits(*it))
                throw std::invalid_argument("prune.layers: '" + n + "' is not " + what +
                                            " of this model; choose from: " + name_list(all));
            chosen.push_back(*it);
        }
    }
    if (chosen.empty())
        throw std::invalid_argument("prune.layers selects nothing to prune; choose from: " +
                                    name_list(all));
    return chosen;
}

}  // namespace

Pruner::Pruner(const api::PruneConfig& config, Layout layout)
    : m_config(config), m_method(config.method) {
    if (m_method == "channel") {
        m_groups = select(
            layout.groups, config.layers, [](const ChannelGroup& g) { return g.units > 1; },
            "a layer whose outputs can be pruned (the last layer of a network and the GPT's "
            "projections feed the output or the residual stream)");
        for (const auto& g : m_groups) m_keep.push_back(torch::ones({g.units}, torch::kBool));
        rebuild_masks();
    } else {
        const bool two_four = m_method == "2:4";
        std::vector<Layer> candidates = layout.layers;
        if (two_four && split_names(config.layers).empty())
            candidates.erase(
                std::remove_if(candidates.begin(), candidates.end(),
                               [](const Layer& l) { return l.weight.size(l.in_dim) % 4 != 0; }),
                candidates.end());
        m_layers = select(
            two_four ? candidates : layout.layers, config.layers,
            [two_four](const Layer& l) { return !two_four || l.weight.size(l.in_dim) % 4 == 0; },
            two_four ? "a layer whose input size divides by 4 (needed for 2:4)"
                     : "a prunable layer");
        for (const auto& l : m_layers)
            m_masked.push_back({l.name + ".weight", l.weight, torch::ones_like(l.weight)});
    }
}

Pruner::Masked& Pruner::masked_entry(const std::string& name, const torch::Tensor& t) {
    for (auto& m : m_masked)
        if (m.tensor.unsafeGetTensorImpl() == t.unsafeGetTensorImpl()) return m;
    m_masked.push_back({name, t, torch::ones_like(t)});
    return m_masked.back();
}

void Pruner::rebuild_masks() {
    torch::NoGradGuard no_grad;
    m_masked.clear();
    for (std::size_t g = 0; g < m_groups.size(); ++g)
        for (const auto& s : m_groups[g].slices)
            if (s.masked) masked_entry(s.name, s.tensor).mask.mul_(slice_mask(s, m_keep[g]));
}

double Pruner::scheduled(int64_t step) const {
    const auto& c = m_config;
    if (c.schedule == "oneshot") return step >= c.at_step ? c.target : 0.0;
    if (step < c.start_step) return 0.0;
    // The last pruning step at or before `step`.
    const int64_t last =
        std::min(c.end_step, c.start_step + (step - c.start_step) / c.every_steps * c.every_steps);
    return cubic_sparsity(step >= c.end_step ? c.end_step : last, c.initial, c.target, c.start_step,
                          c.end_step);
}

bool Pruner::update(int64_t step) {
    const auto& c = m_config;
    if (c.schedule == "oneshot") {
        if (step != c.at_step) return false;
        prune_to(c.target);
        return true;
    }
    if (step < c.start_step || step > c.end_step) return false;
    if ((step - c.start_step) % c.every_steps != 0 && step != c.end_step) return false;
    prune_to(cubic_sparsity(step, c.initial, c.target, c.start_step, c.end_step));
    return true;
}

void Pruner::prune_to(double sparsity) {
    torch::NoGradGuard no_grad;
    enforce();  // rank what the model really uses, with earlier prunings at zero
    const bool global = m_config.scope == "global";
    if (m_method == "channel") {
        std::vector<torch::Tensor> scores;
        for (const auto& g : m_groups)
            scores.push_back(unit_scores(g, m_config.criterion == "l2", global));
        if (global) {
            m_keep = keep_units_global(scores, sparsity);
        } else {
            for (std::size_t g = 0; g < m_groups.size(); ++g)
                m_keep[g] = keep_units(scores[g], sparsity);
        }
        rebuild_masks();
    } else if (m_method == "2:4") {
        for (std::size_t i = 0; i < m_layers.size(); ++i)
            m_masked[i].mask = two_four_mask(m_layers[i].weight, m_layers[i].in_dim);
    } else if (global) {
        std::vector<torch::Tensor> ws;
        for (const auto& l : m_layers) ws.push_back(l.weight);
        auto masks = global_magnitude_masks(ws, sparsity);
        for (std::size_t i = 0; i < masks.size(); ++i) m_masked[i].mask = masks[i];
    } else {
        for (std::size_t i = 0; i < m_layers.size(); ++i)
            m_masked[i].mask = magnitude_mask(m_layers[i].weight, sparsity);
    }
    m_target = m_method == "2:4" ? 0.5 : sparsity;
    enforce();
}

void Pruner::enforce() {
    torch::NoGradGuard no_grad;
    for (auto& m : m_masked) m.tensor.mul_(m.mask);
}

void Pruner::enforce(const std::vector<torch::Tensor>& params) {
    torch::NoGradGuard no_grad;
    std::unordered_set<const void*> storages;
    for (const auto& p : params) storages.insert(p.storage().unsafeGetStorageImpl());
    for (auto& m : m_masked)
        if (storages.count(m.tensor.storage().unsafeGetStorageImpl())) m.tensor.mul_(m.mask);
}

double Pruner::sparsity() const {
    torch::NoGradGuard no_grad;
    int64_t zeros = 0, total = 0;
    for (const auto& m : m_masked) {
        if (m.tensor.dim() < 2) continue;
        zeros += (m.tensor == 0).sum().item<int64_t>();
        total += m.tensor.numel();
    }
    return total > 0 ? static_cast<double>(zeros) / static_cast<double>(total) : 0.0;
}

void Pruner::compact(Layout& other) const {
    if (m_method != "channel") return;
    // Keep the copy's groups that were pruned here, in the same order as their masks.
    Layout chosen;
    std::vector<torch::Tensor> keep;
    for (auto& g : other.groups)
        for (std::size_t i = 0; i < m_groups.size(); ++i)
            if (m_groups[i].name == g.name) {
                chosen.groups.push_back(g);
                keep.push_back(m_keep[i]);
            }
    chosen.after_compact = other.after_compact;
    prune::compact(chosen, keep);
}

std::string Pruner::describe() const {
    const auto& c = m_config;
    char target[32];
    std::snprintf(target, sizeof target, "%.0f%%", c.target * 100);
    std::string s = "pruning: " + m_method;
    if (m_method == "channel") s += " (" + c.criterion + ")";
    if (m_method != "2:4") s += ", " + c.scope + " scope, " + target;
    s += c.schedule == "oneshot"
             ? ", once at step " + std::to_string(c.at_step)
             : ", gradual from step " + std::to_string(c.start_step) + " to " +
                   std::to_string(c.end_step) + " every " + std::to_string(c.every_steps);
    s += m_method == "channel" ? "; layers: " + name_list(m_groups)
                               : "; layers: " + name_list(m_layers);
    return s;
}

void Pruner::save(torch::serialize::OutputArchive& archive) const {
    archive.write("selection", c10::IValue(m_method + ":" + name_list(m_masked)));
    archive.write("target", c10::IValue(m_target));
    for (std::size_t i = 0; i < m_masked.size(); ++i)
        archive.write("mask" + std::to_string(i), m_masked[i].mask.cpu(), /*is_buffer=*/true);
    for (std::size_t i = 0; i < m_keep.size(); ++i)
        archive.write("keep" + std::to_string(i), m_keep[i].to(torch::kInt64), true);
}

void Pruner::load(torch::serialize::InputArchive& archive) {
    c10::IValue selection, target;
    archive.read("selection", selection);
    const std::string mine = m_method + ":" + name_list(m_masked);
    if (selection.toStringRef() != mine)
        throw std::runtime_error("the checkpoint's pruning masks cover other layers (" +
                                 selection.toStringRef() + ") than this config (" + mine +
                                 "); resume with the run's original prune.* settings");
    archive.read("target", target);
    m_target = target.toDouble();
    for (std::size_t i = 0; i < m_keep.size(); ++i) {
        torch::Tensor k;
        archive.read("keep" + std::to_string(i), k, true);
        m_keep[i] = k.to(torch::kBool);
    }
    for (std::size_t i = 0; i < m_masked.size(); ++i) {
        torch::Tensor m;
        archive.read("mask" + std::to_string(i), m, true);
        m_masked[i].mask = m.to(m_masked[i].tensor.options());
    }
    enforce();
}

}  // namespace wb::prune
