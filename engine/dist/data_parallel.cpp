// The "dist" run extension: the process group, the start from rank 0's weights, the per-step
// reduction of metrics and the agreement on stop and pause, for both modes. Data parallel:
// gradient buckets start their all-reduce from the parameters' gradient hooks during backward
// (armed before it); the "after backward" hook waits for them, before unscaling, clipping and the
// fp16 scaler's inf check, so every rank clips and skips on the same averaged gradients.
#include "engine/dist/data_parallel.h"

#include <map>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/api/dist_rules.h"
#include "engine/dist/gloo_group.h"
#include "engine/dist/grad_buckets.h"
#include "engine/process_memory.h"
#include "engine/train/model_registry.h"
#include "engine/train/trainer.h"

namespace wb::engine::dist {
namespace {

class DataParallel final : public RunExtension {
public:
    explicit DataParallel(const api::DistConfig& config) : m_config(config) {}

    const char* key() const override { return "dist"; }

    void configure(RunHost& host) override {
        const api::DistJoin& join = host.request.dist;
        if (!join.active()) {
            host.log("info",
                     "dist.mode=" + m_config.mode + " with one rank: training as one process");
            return;
        }
        if (auto problems = api::dist_problems(host.config, join.world); !problems.empty())
            throw std::invalid_argument(problems.front().path + ": " + problems.front().message);
        const auto timeout =
            std::chrono::milliseconds(static_cast<int64_t>(m_config.timeout_s * 1e3));
        m_group = GlooGroup::join(join, timeout);
        if (join.rank == 0)
            m_group->publish({host.request.run_id, host.config.to_json().dump(),
                              host.request.checkpoint_dir, host.request.resume});
        const std::string where = "rank " + std::to_string(join.rank) + " of " +
                                  std::to_string(join.world) + " on gloo at " + join.addr + ":" +
                                  std::to_string(join.port);
        nlohmann::json fact = {{"mode", m_config.mode},
                               {"world_size", join.world},
                               {"backend", "gloo"},
                               {"master", join.addr + ":" + std::to_string(join.port)}};
        if (!join.job.empty()) fact["job"] = join.job;  // torchrun's restarts continue this run
        if (pipeline()) {
            fact["micro_batches"] = m_config.micro_batches;
            fact["schedule"] = m_config.schedule;
            fact["balance"] = m_config.balance;
            if (m_config.mode == "hybrid") {
                const int64_t replicas = join.world / m_config.stages,
                              batch = host.config.train.batch_size;
                fact["stages"] = m_config.stages;
                fact["replicas"] = replicas;
                host.log("info", "hybrid parallel: " + where + "; " + std::to_string(replicas) +
                                     " replicas of a " + std::to_string(m_config.stages) +
                                     "-stage pipeline, each on " +
                                     std::to_string(batch / replicas) + " of every batch of " +
                                     std::to_string(batch));
            } else {
                host.log("info", "pipeline parallel: " + where);
            }
            host.trainer.set_collectives(m_group.get());  // splits the model; logs the split
        } else {
            fact["bucket_mb"] = m_config.bucket_mb;
            host.trainer.set_collectives(m_group.get());
            host.trainer.on_before_backward([this](const OptimizerStepInfo& s) { arm(s); });
            host.log("info", "data parallel: " + where + "; each rank trains on " +
                                 std::to_string(host.config.train.batch_size / join.world) +
                                 " of every batch of " +
                                 std::to_string(host.config.train.batch_size));
        }
        host.attribute("dist", fact.dump());
    }

    // Rank 0's weights everywhere, and every rank at the same step (a rank that read another
    // checkpoint, or none, would train a different model).
    void on_start(RunHost& host, bool restored) override {
        (void)restored;
        if (!m_group) return;
        std::vector<torch::Tensor> state;
        for (const auto& name : model_family(host.config.model.kind).networks)
            if (auto* net = host.trainer.network(name)) {
                for (auto& p : net->module->parameters()) state.push_back(p.data());
                for (auto& b : net->module->buffers()) state.push_back(b);
            }
        {
            torch::NoGradGuard no_grad;
            m_group->broadcast(state, 0);
        }
        std::vector<torch::Tensor> steps{
            torch::full({1}, static_cast<double>(host.step), torch::kFloat64)};
        m_group->all_reduce_sum(steps);
        const double world = m_group->world();
        if (steps[0].item<double>() != world * static_cast<double>(host.step))
            throw std::runtime_error("data parallel: the ranks resumed at different steps (rank " +
                                     std::to_string(m_group->rank()) + " at step " +
                                     std::to_string(host.step) +
                                     "): every rank must read the run's checkpoint folder " +
                                     host.request.checkpoint_dir +
                                     "; on several machines put it on a shared file system");
        host.metric("dist/world_size", world);
        m_group->take_comm_ms();
    }

    // The all-reduce of the buckets that backward has filled is under way already
    // (before_backward): start the rest, wait, and the gradients are the ranks' average.
    void after_backward(RunHost& host, const OptimizerStepInfo& s) override {
        (void)host;
        if (const auto it = m_buckets.find(s.optimizer); m_group && it != m_buckets.end())
            it->second->finish();
    }

    // Before a step, the answer the last step's reduction already carried; while paused (or
    // before the first step) a round of its own.
    void agree(RunHost& host, RunControl& control) override {
        (void)host;
        if (!m_group) return;
        if (m_agreed) {
            control = *m_agreed;
            m_agreed.reset();
            return;
        }
        std::vector<torch::Tensor> flags{
            torch::tensor({control.stop ? 1.0 : 0.0, control.pause ? 1.0 : 0.0}, torch::kFloat64)};
        m_group->all_reduce_sum(flags);
        control.stop = flags[0][0].item<double>() > 0;
        control.pause = flags[0][1].item<double>() > 0;
    }

    // One all-reduce per step: each metric becomes its mean over the ranks (the whole batch's,
    // since every share is the same size; a pipeline's stages, hybrid's too, report the whole
    // batch's already);
    // each rank fills its own slots of step time, peak memory and energy (a gather, summed);
    // and the stop/pause requests for the next step ride along.
    void reduce_step(RunHost& host, StepOutput& out, double step_s) override {
        if (!m_group) return;
        const int world = m_group->world(), rank = m_group->rank();
        const auto n = static_cast<int64_t>(out.metrics.size());
        auto all = torch::zeros({n + 3 * world + 2}, torch::kFloat64);
        auto* v = all.data_ptr<double>();
        v[n + 2 * world + 2 + rank] = host.own_joules;
        if (!pipeline())
            for (int64_t i = 0; i < n; ++i) v[i] = out.metrics[static_cast<size_t>(i)].value;
        v[n + rank] = step_s * 1e3;
        v[n + world + rank] = static_cast<double>(memory_use(host.device).peak_bytes);
        const RunControl asked = host.requested();
        v[n + 2 * world] = asked.stop ? 1 : 0;
        v[n + 2 * world + 1] = asked.pause ? 1 : 0;
        std::vector<torch::Tensor> one{all};
        m_group->all_reduce_sum(one);
        if (!pipeline())
            for (int64_t i = 0; i < n; ++i)
                out.metrics[static_cast<size_t>(i)].value = v[i] / world;
        for (int r = 0; r < world; ++r) {
            host.metric("dist/step_ms_rank" + std::to_string(r), v[n + r]);
            host.metric("dist/peak_bytes_rank" + std::to_string(r), v[n + world + r]);
        }
        m_agreed = RunControl{v[n + 2 * world] > 0, v[n + 2 * world + 1] > 0};
        host.rank_joules.assign(v + n + 2 * world + 2, v + n + 3 * world + 2);
        host.metric("dist/comm_ms", m_group->take_comm_ms());
    }

private:
    bool pipeline() const { return m_config.pipelined(); }

    // Buckets for this optimizer's parameters (again when they changed: a growth), with a
    // gradient hook on each parameter that hands its gradient over as backward produces it.
    void arm(const OptimizerStepInfo& s) {
        auto& b = m_buckets[s.optimizer];
        if (!b || !b->covers(s.params)) {
            b = std::make_shared<GradientBuckets>(*m_group, s.params, m_config.bucket_mb);
            for (size_t i = 0; i < s.params.size(); ++i) {
                if (!s.params[i].requires_grad()) continue;
                std::weak_ptr<GradientBuckets> w = b;
                s.params[i].register_hook([w, i](const torch::Tensor& g) {
                    if (auto live = w.lock()) live->ready(i, g);
                });
            }
        }
        b->arm();
    }

    api::DistConfig m_config;
    std::shared_ptr<GlooGroup> m_group;
    std::optional<RunControl> m_agreed;  ///< what the last step's reduction agreed on
    std::map<std::string, std::shared_ptr<GradientBuckets>> m_buckets;  ///< per optimizer
};

}  // namespace

std::unique_ptr<RunExtension> make_data_parallel(const api::RunConfig& config) {
    if (!config.dist.distributed()) return nullptr;
    return std::make_unique<DataParallel>(config.dist);
}

}  // namespace wb::engine::dist
