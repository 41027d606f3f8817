// Net2Net widening and identity/stacked deepening of the GPT (see gpt_growth.h).
#include "engine/grow/gpt_growth.h"

#include <map>
#include <stdexcept>

#include "engine/rng_state.h"

namespace wb::grow {
namespace {

using Expand = std::function<torch::Tensor(const torch::Tensor&)>;

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

std::map<std::string, torch::Tensor> by_name(const torch::nn::Module& m) {
    std::map<std::string, torch::Tensor> out;
    for (const auto& p : m.named_parameters()) out.emplace(p.key(), p.value());
    return out;
}

// A fresh model of the grown shape on `device`; its own initialisation must not move the global
// generator's stream (another run may be drawing from it), and every value is overwritten.
models::Gpt build(const models::GptOptions& options, const torch::Device& device) {
    models::Gpt g{nullptr};
    {
        engine::GlobalGeneratorGuard keep_global_stream;
        g = models::Gpt(options);
    }
    g->to(device);
    return g;
}

// Each of the k copies side by side along `dim`: index c * n + i is copy c of unit i.
Expand tile(int64_t k, int64_t dim) {
    return [k, dim](const torch::Tensor& t) {
        std::vector<int64_t> reps(static_cast<size_t>(t.dim()), 1);
        reps[static_cast<size_t>(dim)] = k;
        return t.repeat(reps);
    };
}

// qkv's rows are three sections (queries, keys, values), each heads x head size: each section
// is tiled on its own, so copy c of head h becomes head c * heads + h.
Expand tile_sections(int64_t k, bool columns_too) {
    return [k, columns_too](const torch::Tensor& t) {
        auto parts = t.chunk(3, 0);
        for (auto& p : parts) p = tile(k, 0)(p);
        auto rows = torch::cat(parts, 0);
        return columns_too ? tile(k, 1)(rows) : rows;
    };
}

Expand both(int64_t k) {
    return [k](const torch::Tensor& t) { return tile(k, 1)(tile(k, 0)(t)); };
}

Expand same() {
    return [](const torch::Tensor& t) { return t; };
}

}  // namespace

int64_t gpt_layers(const models::GptImpl& gpt) {
    return static_cast<int64_t>(gpt.blocks->size());
}

int64_t gpt_width(const models::GptImpl& gpt) {
    return gpt.tok->weight.size(1);
}

Grown widen(const models::GptImpl& old, const models::GptOptions& grown, double noise,
            at::Generator& gen) {
    const int64_t w = gpt_width(old);
    if (grown.width() % w != 0 || grown.layers() != gpt_layers(old))
        throw std::invalid_argument("widen: the width must grow by a whole factor, depth alike");
    const int64_t k = grown.width() / w;
    const double inv = 1.0 / static_cast<double>(k);
    const auto device = old.tok->weight.device();
    Grown out{build(grown, device), {}};
    const auto from = by_name(old);
    torch::NoGradGuard no_grad;
    for (const auto& p : out.model->named_parameters()) {
        const std::string& name = p.key();
        const auto& src = from.at(name);
        const bool linear =
            contains(name, "attn.qkv.") || contains(name, "attn.proj.") || contains(name, ".mlp.");
        const bool weight = ends_with(name, "weight");
        Expand expand;
        double value = 1, grad = inv;
        if (name == "tok.weight" || name == "pos.weight") {
            expand = tile(k, 1);
        } else if (contains(name, "ln_f.")) {
            expand = tile(k, 0);
            value = inv, grad = 1;  // the tied head sums k copies: scale them back
        } else if (contains(name, "attn.qkv.")) {
            expand = tile_sections(k, weight);
            value = weight ? inv : 1;
        } else if (linear) {
            expand = weight ? both(k) : tile(k, 0);
            value = weight ? inv : 1;
        } else {
            expand = tile(k, 0);  // the blocks' LayerNorms
        }
        auto v = expand(src) * value;
        if (linear && weight && noise > 0)
            v += torch::randn(v.sizes(), gen, torch::TensorOptions().dtype(v.scalar_type()))
                     .to(device) *
                 noise;
        p.value().copy_(v);
        out.origins.push_back({p.value(), src, expand, grad});
    }
    return out;
}

Grown deepen(const models::GptImpl& old, const models::GptOptions& grown, DeepenMethod method,
             at::Generator& gen) {
    const int64_t layers = gpt_layers(old);
    if (grown.layers() < layers || grown.width() != gpt_width(old))
        throw std::invalid_argument("deepen: the depth must not shrink, the width must stay");
    const auto device = old.tok->weight.device();
    Grown out{build(grown, device), {}};
    const auto from = by_name(old);
    torch::NoGradGuard no_grad;
    for (const auto& p : out.model->named_parameters()) {
        const std::string& name = p.key();
        std::string source = name;
        bool fresh = false;
        if (name.rfind("blocks.", 0) == 0) {
            const auto dot = name.find('.', 7);
            const int64_t block = std::stoll(name.substr(7, dot - 7));
            if (block >= layers) {
                fresh = method == DeepenMethod::Identity;
                source = "blocks." + std::to_string((block - layers) % layers) + name.substr(dot);
            }
        }
        auto t = p.value();
        if (!fresh) {
            t.copy_(from.at(source));
            out.origins.push_back({t, from.at(source), same(), 1.0});
            continue;
        }
        // As the model initialises itself (LayerNorms 1 and 0, biases 0, weights N(0, 0.02)),
        // but drawn from the run's generator, and with the output projections of attention
        // and MLP at zero: the block adds nothing to the residual stream until it learns to.
        const bool output = contains(name, "attn.proj.") || contains(name, ".mlp.2.");
        if (contains(name, ".ln")) {
            t.fill_(ends_with(name, "weight") ? 1.0 : 0.0);
        } else if (ends_with(name, "bias") || output) {
            t.zero_();
        } else {
            t.copy_(torch::randn(t.sizes(), gen, torch::TensorOptions().dtype(t.scalar_type())) *
                    0.02);
        }
        out.origins.push_back({t, torch::Tensor(), same(), 1.0});
    }
    return out;
}

}  // namespace wb::grow
