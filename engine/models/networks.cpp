// The networks of every model family, built from the run's config, with their deployed forward
// pass and layout.
#include "engine/models/network.h"

#include <stdexcept>

#include "engine/models/layouts.h"

namespace wb::models {
namespace {

void check_gan_name(const std::string& kind, const std::string& name) {
    if (name != "g" && name != "d")
        throw std::invalid_argument(kind + " has networks g and d, not '" + name + "'");
}

// A generator or discriminator whose layers are one Sequential `net`.
template <typename Holder>
Network sequential_network(Holder h, const std::string& name) {
    return {h.ptr(), [h](const torch::Tensor& x) mutable { return h->forward(x); },
            [h, name]() mutable { return sequential_layout(h->net, name + ".net"); }};
}

}  // namespace

Network mlp_gan_network(const api::RunConfig& config, const std::string& name) {
    check_gan_name("gan_mlp", name);
    const auto& mc = config.model;
    const auto options = MlpGanOptions(mc.latent_dim, mc.width, mc.layers);
    if (name == "g") return sequential_network(MlpGenerator(options), name);
    return sequential_network(MlpDiscriminator(MlpGanOptions(options).pack(config.gan.pack)), name);
}

Network dcgan_network(const api::RunConfig& config, const std::string& name) {
    check_gan_name("dcgan", name);
    const auto options = DcganOptions(config.model.latent_dim, config.model.width);
    if (name == "g") {
        auto g = DcGenerator(options);
        dcgan_init(*g);
        return sequential_network(g, name);
    }
    auto d = DcDiscriminator(DcganOptions(options).pack(config.gan.pack));
    dcgan_init(*d);
    return sequential_network(d, name);
}

ProGenerator make_progan_generator(const api::RunConfig& config) {
    const auto& mc = config.model;
    return ProGenerator(ProganOptions(mc.latent_dim, mc.width)
                            .equalized_lr(mc.equalized_lr)
                            .pixel_norm(mc.pixel_norm));
}

ProDiscriminator make_progan_discriminator(const api::RunConfig& config) {
    const auto& mc = config.model;
    return ProDiscriminator(ProganOptions(mc.latent_dim, mc.width)
                                .pack(config.gan.pack)
                                .equalized_lr(mc.equalized_lr)
                                .minibatch_stddev(mc.minibatch_stddev));
}

Network progan_network(ProGenerator g) {
    return {g.ptr(),
            [g](const torch::Tensor& z) mutable { return g->forward(z, kProganLevels - 1, 1.0); },
            [g]() mutable { return progan_layout(*g, "g", /*generator=*/true); }};
}

Network progan_network(ProDiscriminator d) {
    return {d.ptr(),
            [d](const torch::Tensor& x) mutable { return d->forward(x, kProganLevels - 1, 1.0); },
            [d]() mutable { return progan_layout(*d, "d", /*generator=*/false); }};
}

Vae make_vae(const api::RunConfig& config) {
    return Vae(VaeOptions(config.model.latent_dim, config.model.width));
}

Network vae_network(Vae vae) {
    const int64_t latent = vae->latent_dim;
    // Deployed as an autoencoder: the reconstruction from the mean code (eps = 0).
    return {vae.ptr(),
            [vae, latent](const torch::Tensor& x) mutable {
                return vae->forward(x, torch::zeros({x.size(0), latent}, x.options())).logits;
            },
            [vae]() mutable { return vae_layout(*vae); }};
}

GptOptions gpt_options(const api::RunConfig& config, const DataDims& dims) {
    const auto& mc = config.model;
    const int64_t width = dims.width > 0 ? dims.width : mc.width;
    const int64_t head_size = mc.heads > 0 ? std::max<int64_t>(1, mc.width / mc.heads) : width;
    return GptOptions(dims.vocab, mc.context, width, dims.layers > 0 ? dims.layers : mc.layers,
                      std::max<int64_t>(1, width / head_size))
        .dropout(mc.dropout)
        .attention(api::AttentionPattern::from(mc));
}

Gpt make_gpt(const api::RunConfig& config, const DataDims& dims) {
    return Gpt(gpt_options(config, dims));
}

DataDims gpt_dims(torch::serialize::InputArchive& trainer_state) {
    torch::serialize::InputArchive gpt, tok, blocks, block;
    trainer_state.read("gpt", gpt);
    gpt.read("tok", tok);
    torch::Tensor weight;
    tok.read("weight", weight);
    DataDims dims{weight.size(0), 0, weight.size(1)};
    if (gpt.try_read("blocks", blocks))
        while (blocks.try_read(std::to_string(dims.layers), block)) ++dims.layers;
    return dims;
}

Network gpt_network(Gpt gpt) {
    return {gpt.ptr(), [gpt](const torch::Tensor& ids) mutable { return gpt->forward(ids); },
            [gpt]() mutable { return gpt_layout(*gpt); }};
}

}  // namespace wb::models
