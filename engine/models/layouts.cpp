// Layouts per model. Default selection: not the first or last layer of a network (they see raw
// data or make the output and are the most sensitive), never embeddings or LayerNorms.
#include "engine/models/layouts.h"

#include <cmath>

namespace wb::models {

namespace nn = torch::nn;

namespace {

struct Weighted {
    std::string name;
    torch::Tensor weight, bias;
    int64_t in_dim = 1, out_dim = 0;
    nn::BatchNorm2dImpl* bn = nullptr;
    std::string bn_name;
};

std::vector<Weighted> weighted_layers(nn::Sequential& net, const std::string& prefix) {
    std::vector<Weighted> out;
    for (std::size_t i = 0; i < net->size(); ++i) {
        const std::string name = prefix + "." + std::to_string(i);
        auto m = net->ptr(i);
        if (auto* l = m->as<nn::Linear>())
            out.push_back({name, l->weight, l->bias, 1, 0});
        else if (auto* c = m->as<nn::Conv2d>())
            out.push_back({name, c->weight, c->bias, 1, 0});
        else if (auto* t = m->as<nn::ConvTranspose2d>())
            out.push_back({name, t->weight, t->bias, 0, 1});
        else if (auto* bn = m->as<nn::BatchNorm2d>(); bn && !out.empty()) {
            out.back().bn = bn;
            out.back().bn_name = name;
        }
    }
    return out;
}

// The producing layer's part of a group: its weight along the output dim (scored), its bias and
// the BatchNorm entries after it.
std::vector<Slice> producer_slices(const Weighted& w, int64_t block = 1) {
    std::vector<Slice> s;
    s.push_back({w.name + ".weight", w.weight, w.out_dim, 0, block, true, true});
    if (w.bias.defined()) s.push_back({w.name + ".bias", w.bias, 0, 0, block, false, true});
    if (w.bn) {
        s.push_back({w.bn_name + ".weight", w.bn->weight, 0, 0, 1, false, true});
        s.push_back({w.bn_name + ".bias", w.bn->bias, 0, 0, 1, false, true});
        s.push_back({w.bn_name + ".running_mean", w.bn->running_mean, 0, 0, 1, false, false});
        s.push_back({w.bn_name + ".running_var", w.bn->running_var, 0, 0, 1, false, false});
    }
    return s;
}

Slice consumer_slice(const Weighted& w, int64_t block = 1) {
    return {w.name + ".weight", w.weight, w.in_dim, 0, block, false, true};
}

}  // namespace

void copy_state(const torch::nn::Module& from, torch::nn::Module& to) {
    torch::NoGradGuard no_grad;
    auto src_p = from.named_parameters(), dst_p = to.named_parameters();
    for (auto& p : dst_p) p.value().copy_(src_p[p.key()]);
    auto src_b = from.named_buffers(), dst_b = to.named_buffers();
    for (auto& b : dst_b) b.value().copy_(src_b[b.key()]);
}

void append(Layout& into, Layout more) {
    for (auto& l : more.layers) into.layers.push_back(std::move(l));
    for (auto& g : more.groups) into.groups.push_back(std::move(g));
    for (auto& f : more.after_compact) into.after_compact.push_back(std::move(f));
}

Layout sequential_layout(nn::Sequential& net, const std::string& prefix) {
    const auto w = weighted_layers(net, prefix);
    Layout layout;
    for (std::size_t i = 0; i < w.size(); ++i) {
        const bool inner = i > 0 && i + 1 < w.size();
        layout.layers.push_back({w[i].name, w[i].weight, w[i].in_dim, inner});
        if (i + 1 == w.size()) break;
        ChannelGroup g{w[i].name, w[i].weight.size(w[i].out_dim), producer_slices(w[i]), inner};
        g.slices.push_back(consumer_slice(w[i + 1]));
        layout.groups.push_back(std::move(g));
    }
    return layout;
}

Layout progan_layout(nn::Module& net, const std::string& prefix, bool generator) {
    Layout layout;
    for (const auto& item : net.named_modules(prefix, /*include_self=*/false)) {
        torch::Tensor weight;
        if (auto* c = item.value()->as<models::EqConv2d>())
            weight = c->weight;
        else if (auto* l = item.value()->as<models::EqLinear>())
            weight = l->weight;
        else
            continue;
        const bool in_block = item.key().rfind(prefix + ".blocks.", 0) == 0;
        layout.layers.push_back({item.key(), weight, 1, in_block});
    }
    // Block 0 is the 4x4 one: it holds the generator's first layer (from the latent) and the
    // discriminator's last (to the score). Drop that outermost layer from the default selection.
    std::vector<Layer*> first_block;
    for (auto& l : layout.layers)
        if (l.name.rfind(prefix + ".blocks.0.", 0) == 0) first_block.push_back(&l);
    if (!first_block.empty())
        (generator ? first_block.front() : first_block.back())->by_default = false;
    return layout;
}

Layout vae_layout(models::VaeImpl& vae) {
    const auto enc = weighted_layers(vae.encoder, "encoder");
    const auto dec = weighted_layers(vae.decoder, "decoder");
    const Weighted mu{"to_mu", vae.to_mu->weight, vae.to_mu->bias, 1, 0};
    const Weighted logvar{"to_logvar", vae.to_logvar->weight, vae.to_logvar->bias, 1, 0};
    const Weighted from_z{"from_z", vae.from_z->weight, vae.from_z->bias, 1, 0};
    // Each encoder channel is `spatial` flattened features of to_mu/to_logvar; each decoder
    // input channel is `spatial` outputs of from_z.
    const int64_t spatial = mu.weight.size(1) / enc.back().weight.size(0);

    Layout layout;
    for (const auto* l :
         {&enc[0], &enc[1], &enc[2], &mu, &logvar, &from_z, &dec[0], &dec[1], &dec[2]})
        layout.layers.push_back({l->name, l->weight, l->in_dim, l != &enc[0] && l != &dec[2]});
    auto chain = [&](const Weighted& from, const Weighted& to, bool by_default) {
        ChannelGroup g{from.name, from.weight.size(from.out_dim), producer_slices(from),
                       by_default};
        g.slices.push_back(consumer_slice(to));
        layout.groups.push_back(std::move(g));
    };
    chain(enc[0], enc[1], false);
    chain(enc[1], enc[2], true);
    ChannelGroup code{enc[2].name, enc[2].weight.size(0), producer_slices(enc[2]), true};
    code.slices.push_back(consumer_slice(mu, spatial));
    code.slices.push_back(consumer_slice(logvar, spatial));
    layout.groups.push_back(std::move(code));
    ChannelGroup seed{from_z.name, from_z.weight.size(0) / spatial,
                      producer_slices(from_z, spatial), true};
    seed.slices.push_back(consumer_slice(dec[0]));
    layout.groups.push_back(std::move(seed));
    chain(dec[0], dec[1], true);
    chain(dec[1], dec[2], true);

    auto* unflatten = vae.decoder->ptr(1)->as<nn::Unflatten>();
    auto from_z_weight = vae.from_z->weight;
    layout.after_compact.push_back([unflatten, from_z_weight, spatial] {
        const int64_t side = static_cast<int64_t>(std::lround(std::sqrt(spatial)));
        unflatten->options.sizes({from_z_weight.size(0) / spatial, side, side});
    });
    return layout;
}

Layout gpt_layout(models::GptImpl& gpt) {
    Layout layout;
    for (std::size_t i = 0; i < gpt.blocks->size(); ++i) {
        auto* block = gpt.blocks->ptr(i)->as<models::GptBlock>();
        auto* attn = block->attn.get();
        const std::string b = "blocks." + std::to_string(i);
        const std::string qkv = b + ".attn.qkv", proj = b + ".attn.proj";
        const std::string fc1 = b + ".mlp.0", fc2 = b + ".mlp.2";
        auto* l1 = block->mlp->ptr(0)->as<nn::Linear>();
        auto* l2 = block->mlp->ptr(2)->as<nn::Linear>();
        layout.layers.push_back({qkv, attn->qkv->weight, 1, true});
        layout.layers.push_back({proj, attn->proj->weight, 1, true});
        layout.layers.push_back({fc1, l1->weight, 1, true});
        layout.layers.push_back({fc2, l2->weight, 1, true});

        const int64_t hd = attn->head_dim, inner = attn->heads * hd;
        ChannelGroup heads{qkv, attn->heads, {}, true};
        for (int64_t part = 0; part < 3; ++part) {
            heads.slices.push_back(
                {qkv + ".weight", attn->qkv->weight, 0, part * inner, hd, true, true});
            heads.slices.push_back(
                {qkv + ".bias", attn->qkv->bias, 0, part * inner, hd, false, true});
        }
        heads.slices.push_back({proj + ".weight", attn->proj->weight, 1, 0, hd, false, true});
        layout.groups.push_back(std::move(heads));

        ChannelGroup neurons{fc1, l1->weight.size(0), {}, true};
        neurons.slices.push_back({fc1 + ".weight", l1->weight, 0, 0, 1, true, true});
        neurons.slices.push_back({fc1 + ".bias", l1->bias, 0, 0, 1, false, true});
        neurons.slices.push_back({fc2 + ".weight", l2->weight, 1, 0, 1, false, true});
        layout.groups.push_back(std::move(neurons));

        layout.after_compact.push_back(
            [attn] { attn->heads = attn->qkv->weight.size(0) / (3 * attn->head_dim); });
    }
    return layout;
}

}  // namespace wb::models
