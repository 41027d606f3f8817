// The field table's distributed-training settings (engine/dist): data parallel and the GPT's
// pipeline parallel over ranks on PyTorch's c10d, started by the run itself, torchrun or Slurm.
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
             "otherwise the run starts dist.world_size ranks on this machine. pipeline (GPT "
             "only): the model is split instead; each rank (a stage) holds a contiguous run of "
             "the Transformer blocks (the first also the embedding, the last the head), trains "
             "every example of the batch through them in dist.micro_batches pieces and passes "
             "activations forward and gradients back to its neighbours. Each stage keeps the "
             "activations and optimizer state of its own layers only, so a model too big for "
             "one device fits; costs the pipeline's idle time (dist/bubble_fraction) and the "
             "sends between stages. hybrid (GPT only): both at once; the ranks form "
             "dist.world_size / dist.stages replicas of a dist.stages-stage pipeline. Each "
             "replica trains its own share of every batch through its stages, and each stage "
             "averages its gradients with the same stage of the other replicas."),
        {"off", "data", "pipeline", "hybrid"}));
    s.push_back(ranged(
        make(WB_BIND(dist.world_size, int64_t), T::Int, "Distributed", "Ranks",
             "Processes the run starts on this machine when no torchrun or srun started it "
             "(under them, their WORLD_SIZE counts). Data parallel: train.batch_size must divide "
             "by it. Pipeline: one stage per rank, at most model.layers. "
             "Hybrid: stages x replicas. "
             "Each rank gets train.threads threads, or with 0 an even share of the cores."),
        2, 64));
    s.push_back(ranged(
        make(WB_BIND(dist.stages, int64_t), T::Int, "Distributed", "Pipeline stages",
             "Hybrid: the stages of each pipeline; rank r is stage r mod stages of replica "
             "r / stages. dist.world_size must be a multiple of it (at least twice it: with one "
             "replica, use dist.mode=pipeline), train.batch_size must split over the replicas "
             "and each replica's share into dist.micro_batches, and model.layers must be at "
             "least it. Stage s of every replica holds the same blocks, so only a stage's "
             "gradients travel between replicas: each rank all-reduces 1/stages of the model "
             "where data parallel all-reduces all of it."),
        2, 64));
    s.push_back(ranged(
        make(WB_BIND(dist.micro_batches, int64_t), T::Int, "Distributed", "Micro-batches",
             "Pipeline: each batch is split into this many micro-batches that follow each other "
             "through the stages, so that the stages work at the same time. With p stages and "
             "m micro-batches a stage idles about (p-1)/(m+p-1) of the step (the bubble): more "
             "micro-batches idle less but each is smaller, so the CPU or GPU does less per call. "
             "train.batch_size must divide by it."),
        1, 512));
    s.push_back(choice(
        make(WB_BIND(dist.schedule, std::string), T::Choice, "Distributed", "Pipeline schedule",
             "gpipe: every micro-batch forward, then every one backward; a stage holds the "
             "activations of all m micro-batches at once. 1f1b: after a short warm-up each "
             "stage alternates one forward and one backward, so it holds at most p of them; "
             "the same bubble, less activation memory."),
        {"1f1b", "gpipe"}));
    s.push_back(choice(
        make(WB_BIND(dist.balance, std::string), T::Choice, "Distributed", "Stage balance",
             "How the blocks split into stages: params gives each stage about the same number "
             "of parameters (the embedding counts to the first stage, the tied head to the "
             "last); time times every layer's forward and backward once at the start and "
             "evens out the stages' time, which is what the bubble depends on."),
        {"params", "time"}));
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
