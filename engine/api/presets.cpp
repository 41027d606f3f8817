// The preset table. Each preset is a JSON overlay on the schema defaults.
#include "engine/api/presets.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace wb::api {
namespace {

Preset make(const char* name, const char* description, const char* overlay) {
    std::vector<ConfigError> errors;
    RunConfig c = RunConfig::from_json(nlohmann::json::parse(overlay), &errors);
    auto problems = c.validate();
    errors.insert(errors.end(), problems.begin(), problems.end());
    if (!errors.empty())  // a programming error in this table, caught by the preset test
        throw std::logic_error(std::string("preset ") + name + ": " + format_errors(errors));
    return {name, description, c};
}

std::vector<Preset> build() {
    return {
        make("gan-mixture2d",
             "MLP GAN on 8 Gaussians on a ring, with PacGAN packing (4): covers all 8 modes in "
             "under a minute on a 2-core CPU. Set gan.pack=1 to watch a plain GAN collapse onto "
             "a few modes. One CPU thread: this model is too small to gain from splitting ops.",
             R"({"model": {"kind": "gan_mlp", "latent_dim": 8, "width": 128, "layers": 3},
                 "data": {"name": "mixture2d"},
                 "gan": {"pack": 4},
                 "train": {"steps": 5000, "batch_size": 256, "threads": 1},
                 "optim": {"name": "adam", "lr": 0.001, "beta1": 0.5, "beta2": 0.999},
                 "checkpoint": {"every_steps": 1000},
                 "eval": {"every_steps": 250}, "sample": {"every_steps": 250}})"),
        make("dcgan-fashion",
             "DCGAN on Fashion-MNIST padded to 32x32 (Debian's dataset-fashion-mnist).",
             R"({"model": {"kind": "dcgan", "latent_dim": 64, "width": 32},
                 "data": {"name": "fashion_mnist"},
                 "train": {"steps": 2000, "batch_size": 64},
                 "optim": {"name": "adam", "lr": 0.0002, "beta1": 0.5, "beta2": 0.999},
                 "checkpoint": {"every_steps": 500},
                 "eval": {"every_steps": 250, "samples": 1024}, "sample": {"every_steps": 100}})"),
        make("progan-fashion",
             "ProGAN on Fashion-MNIST, grown 4x4 -> 8x8 -> 16x16 -> 32x32 with fade-ins, "
             "equalised learning rate, pixel norm, minibatch stddev, WGAN-GP and a generator "
             "EMA, as in Karras et al. 2018, scaled down to run on a CPU. Set "
             "progressive.enabled=false to train the same networks at 32x32 from the start "
             "and compare time and quality/fid.",
             R"({"model": {"kind": "progan", "latent_dim": 64, "width": 8},
                 "data": {"name": "fashion_mnist"},
                 "progressive": {"enabled": true, "fade_images": 6400, "stable_images": 6400},
                 "gan": {"loss": "wgan_gp", "gp_weight": 10, "g_ema": 0.995},
                 "train": {"steps": 1500, "batch_size": 32},
                 "optim": {"name": "adam", "lr": 0.001, "beta1": 0.0, "beta2": 0.99},
                 "checkpoint": {"every_steps": 500},
                 "eval": {"every_steps": 100, "samples": 1024}, "sample": {"every_steps": 100}})"),
        make("vae-fashion",
             "Convolutional VAE on Fashion-MNIST: stable training, reconstruction and KL terms.",
             R"({"model": {"kind": "vae", "latent_dim": 16, "width": 32},
                 "data": {"name": "fashion_mnist"},
                 "train": {"steps": 1500, "batch_size": 128},
                 "optim": {"name": "adam", "lr": 0.001, "beta1": 0.9, "beta2": 0.999},
                 "checkpoint": {"every_steps": 500},
                 "eval": {"every_steps": 250, "samples": 1024}, "sample": {"every_steps": 250}})"),
        make("gpt-char", "Character-level GPT (nanoGPT style) on the fortunes corpus.",
             R"({"model": {"kind": "gpt", "width": 128, "layers": 4, "heads": 4, "context": 64,
                           "dropout": 0.0},
                 "data": {"name": "text", "val_fraction": 0.1},
                 "train": {"steps": 1500, "batch_size": 32},
                 "optim": {"name": "adamw", "lr": 0.001, "beta1": 0.9, "beta2": 0.99,
                           "weight_decay": 0.1},
                 "checkpoint": {"every_steps": 500},
                 "eval": {"every_steps": 250, "samples": 2048}, "sample": {"every_steps": 250}})"),
    };
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

}  // namespace wb::api
