// The field table's distributed-training settings (engine/dist): data parallel over ranks on
// PyTorch's c10d, started by the run itself, by torchrun or by Slurm.
#include "engine/api/schema_build.h"

namespace wb::api::schema_build {

void add_dist_fields(std::vector<FieldSpec>& s) {
    using T = FieldType;
    s.push_back(choice(
        make(WB_BIND(dist.mode, std::string), T::Choice, "Distributed", "Parallelism",
             "off: one process. data: data parallel. Every rank (process) holds the whole model "
             "and trains on its own share of each batch; the gradients are averaged over the "
             "ranks (an all-reduce) before every optimizer step, so the ranks stay identical "
             "and the run trains as one process at the same train.batch_size would, only "
             "faster when there are cores or GPUs to spare. Costs the all-reduce each step and "
             "a copy of the model per rank. Under torchrun or srun the ranks are theirs; "
             "otherwise the run starts dist.world_size ranks on this machine."),
        {"off", "data"}));
    s.push_back(
        ranged(make(WB_BIND(dist.world_size, int64_t), T::Int, "Distributed", "Ranks",
                    "Processes the run starts on this machine when no torchrun or srun started it "
                    "(under them, their WORLD_SIZE counts). train.batch_size must divide by it. "
                    "Each rank gets train.threads threads, or with 0 an even share of the cores."),
               2, 64));
    s.push_back(ranged(
        make(WB_BIND(dist.bucket_mb, double), T::Float, "Distributed", "Gradient bucket (MiB)",
             "Gradients are all-reduced in buckets of about this size, like PyTorch DDP's "
             "bucket_cap_mb (25). Smaller buckets start communicating sooner and pay a "
             "latency per bucket; larger ones pay it less often."),
        0.01, 1024.0));
    s.push_back(make(
        WB_BIND(dist.sync_batch_norm, bool), T::Bool, "Distributed", "Synchronise batch norm",
        "On: batch norm layers (DCGAN's) normalise over the whole batch of every rank, so two "
        "ranks train exactly the model one process trains; costs two small all-reduces per layer "
        "and pass, each a moment where the ranks wait for each other. Off: each rank normalises "
        "over its own share, as PyTorch DDP does without SyncBatchNorm (which runs on CUDA "
        "only): faster, but a different model, whose statistics come from smaller batches."));
    s.push_back(
        choice(make(WB_BIND(dist.backend, std::string), T::Choice, "Distributed", "Backend",
                    "How the ranks talk: gloo over TCP (CPU tensors). auto picks gloo on this "
                    "build. Set GLOO_SOCKET_IFNAME to the network interface (eth0) on several "
                    "machines."),
               {"auto", "gloo"}));
    s.push_back(ranged(
        make(WB_BIND(dist.timeout_s, double), T::Float, "Distributed", "Collective timeout (s)",
             "The longest a rank waits for the others in any one collective before the run "
             "fails with a message naming the cause, so a hung or lost rank never hangs the "
             "run. Must cover the longest evaluation, which only rank 0 does."),
        5.0, 86400.0));
}

}  // namespace wb::api::schema_build
