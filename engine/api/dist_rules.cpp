// The combinations data-parallel training cannot take: a batch that does not split evenly over
// the ranks, and the settings that need one process for now.
#include "engine/api/dist_rules.h"

namespace wb::api {

std::vector<ConfigError> dist_problems(const RunConfig& c, int64_t world) {
    std::vector<ConfigError> out;
    if (c.dist.mode != "data" || world < 2) return out;
    const std::string w = std::to_string(world);
    const auto split = [&](const char* key, int64_t batch) {
        if (batch <= 0) return;
        if (batch % world != 0) {
            out.push_back({key, std::to_string(batch) + " does not split evenly over " + w +
                                    " ranks: the batch is the global one, each rank trains on "
                                    "batch / ranks; make it a multiple of " +
                                    w});
        } else if (c.gan.pack > 1 && (batch / world) % c.gan.pack != 0) {
            out.push_back({key, "each rank's share " + std::to_string(batch / world) +
                                    " must be divisible by gan.pack " +
                                    std::to_string(c.gan.pack)});
        }
    };
    const bool progan = c.model.kind == "progan" && c.progressive.enabled;
    if (!progan) split("train.batch_size", c.train.batch_size);
    if (progan) {
        split("progressive.batch_4", c.progressive.batch_4);
        split("progressive.batch_8", c.progressive.batch_8);
        split("progressive.batch_16", c.progressive.batch_16);
        split("progressive.batch_32", c.progressive.batch_32);
    }
    if (c.gan.loss == "wgan_gp" && c.model.kind == "dcgan" && c.dist.sync_batch_norm)
        out.push_back({"gan.loss",
                       "the gradient penalty of wgan_gp differentiates twice through the "
                       "DCGAN discriminator's batch norm, whose statistics data parallel "
                       "synchronises over the ranks in a way that supports only once; use hinge or "
                       "non_saturating, dist.sync_batch_norm=false, or dist.mode=off"});
    if (c.device == "cuda")
        out.push_back({"device",
                       "data parallel runs on the CPU (Gloo) in this build; set "
                       "device=cpu or dist.mode=off"});
    return out;
}

}  // namespace wb::api
