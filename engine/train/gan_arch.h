// GanArch: what differs between the GAN architectures, so the GAN update (gan_trainer.cpp) is one
// loop for all of them. The MLP GAN and DCGAN train their networks as they are; ProGAN grows:
// its forward passes, the resolution of the real images and the batch size follow the images
// shown so far.
#pragma once

#include <memory>
#include <vector>

#include "engine/api/run_config.h"
#include "engine/models/network.h"
#include "engine/train/gan_schedule.h"
#include "engine/train/trainer.h"

namespace wb::engine {

class GanArch {
public:
    virtual ~GanArch() = default;
    /// Built in this order (their initialisation draws from LibTorch's global generator).
    models::Network g, d;

    /// The training forward passes, at the current stage of growth.
    virtual torch::Tensor generate(const torch::Tensor& z) { return g.forward(z); }
    virtual torch::Tensor discriminate(const torch::Tensor& x) { return d.forward(x); }
    /// Real images as the discriminator sees them now (full-resolution input).
    virtual torch::Tensor real_at(const torch::Tensor& x) const { return x; }
    /// Moves the schedule to where `images_seen` real images put it.
    virtual void set_images_seen(int64_t images_seen) { (void)images_seen; }
    /// Examples per discriminator step now.
    virtual int64_t batch_size() const { return m_batch_size; }
    /// The architecture's own diagnostics for a step.
    virtual void append_metrics(std::vector<Metric>* out, int64_t images_seen) const {
        (void)out, (void)images_seen;
    }

protected:
    explicit GanArch(const api::RunConfig& config) : m_batch_size(config.train.batch_size) {}
    int64_t m_batch_size;
};

using GanNetworkBuilder = models::Network (*)(const api::RunConfig&, const std::string&);

/// Networks built by `build` ("g", then "d"), trained at a fixed shape: the MLP GAN, DCGAN.
std::unique_ptr<GanArch> make_fixed_gan(const api::RunConfig& config, GanNetworkBuilder build);
/// ProGAN: 4x4 to 32x32 with fade-in when progressive.enabled, else 32x32 throughout.
std::unique_ptr<GanArch> make_progan(const api::RunConfig& config);

}  // namespace wb::engine
