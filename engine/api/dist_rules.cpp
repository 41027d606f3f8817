// The combinations distributed training cannot take: a batch that does not split evenly over
// the ranks, replicas or micro-batches, a hybrid grid that does not fill its ranks, and the
// settings that need one process (or data parallel) for now.
#include "engine/api/dist_rules.h"

namespace wb::api {

namespace {

// Pipeline stages hold contiguous runs of the GPT's blocks and pass one micro-batch at a time;
// what needs the whole model in one place every step is refused with the reason.
// `stages` stages; in hybrid each of `replicas` copies of the pipeline trains on its share of the
// batch, so the micro-batches split that share.
std::vector<ConfigError> pipeline_problems(const RunConfig& c, int64_t stages, int64_t replicas) {
    std::vector<ConfigError> out;
    const std::string w = std::to_string(stages);
    if (c.model.kind != "gpt") {
        out.push_back({"dist.mode",
                       "pipeline parallel splits the GPT's Transformer blocks into stages; "
                       "model.kind " +
                           c.model.kind + " has no such blocks: use dist.mode=data"});
        return out;
    }
    const bool hybrid = c.dist.mode == "hybrid";
    if (c.model.layers < stages)
        out.push_back({hybrid ? "dist.stages" : "model.layers",
                       std::to_string(c.model.layers) + " blocks cannot fill " + w +
                           " pipeline stages (each needs at least one): use at most " +
                           std::to_string(c.model.layers) + (hybrid ? " stages" : " ranks") +
                           ", or more layers"});
    const int64_t m = c.dist.micro_batches, batch = c.train.batch_size;
    if (replicas > 1 && batch % replicas != 0) {
        out.push_back({"train.batch_size",
                       std::to_string(batch) + " does not split evenly over " +
                           std::to_string(replicas) +
                           " replicas: the batch is the global one, each replica trains on "
                           "batch / replicas; make it a multiple of " +
                           std::to_string(replicas)});
    } else if (m > 0 && (batch / replicas) % m != 0) {
        const std::string share =
            replicas > 1 ? "each replica's share " + std::to_string(batch / replicas) + " of " : "";
        out.push_back({"dist.micro_batches", share + "train.batch_size " + std::to_string(batch) +
                                                 " does not split into " + std::to_string(m) +
                                                 " equal micro-batches: pick a divisor of " +
                                                 (replicas > 1 ? "the share" : "the batch")});
    }
    if (!c.grow.at_steps.empty())
        out.push_back({"grow.at_steps",
                       "a growing GPT changes its blocks while pipeline stages "
                       "own fixed runs of them: turn growth off, or use "
                       "dist.mode=data"});
    if (c.prune.method != "none")
        out.push_back({"prune.method",
                       "pruning decides over the whole model's weights, which "
                       "no pipeline stage holds up to date: set prune.method=none, "
                       "or use dist.mode=data"});
    const bool scores = c.sampler.kind == "hard" ||
                        (c.sampler.kind == "curriculum" && c.sampler.difficulty == "loss");
    if (scores)
        out.push_back({"sampler.kind", "the " + c.sampler.kind +
                                           " sampler scores examples with "
                                           "the whole model between steps, which no pipeline stage "
                                           "holds up to date: use sampler.kind=uniform (or a "
                                           "curriculum by sampler.difficulty=proxy), or "
                                           "dist.mode=data"});
    return out;
}

}  // namespace

std::vector<ConfigError> dist_problems(const RunConfig& c, int64_t world) {
    std::vector<ConfigError> out;
    if (!c.dist.distributed() || world < 2) return out;
    if (c.device == "cuda")
        out.push_back({"device",
                       "distributed runs train on the CPU (Gloo) in this build; set "
                       "device=cpu or dist.mode=off"});
    if (c.dist.mode == "pipeline") {
        for (auto& e : pipeline_problems(c, world, 1)) out.push_back(std::move(e));
        return out;
    }
    if (c.dist.mode == "hybrid") {
        const int64_t s = c.dist.stages;
        const std::string w = std::to_string(world), st = std::to_string(s);
        if (s < 2 || world % s != 0) {
            out.push_back({"dist.stages", w + " ranks do not form whole pipelines of " + st +
                                              " stages: make dist.world_size a multiple of "
                                              "dist.stages"});
            return out;
        }
        if (world / s < 2) {
            out.push_back({"dist.world_size", w + " ranks hold one pipeline of " + st +
                                                  " stages and no second replica: use "
                                                  "dist.mode=pipeline, or at least " +
                                                  std::to_string(2 * s) + " ranks"});
            return out;
        }
        for (auto& e : pipeline_problems(c, s, world / s)) out.push_back(std::move(e));
        return out;
    }
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
    return out;
}

}  // namespace wb::api
