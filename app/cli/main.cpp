// workbench-cli: headless training and run history. Parses the command line and dispatches;
// the commands live in train_command.cpp, query_commands.cpp, fid_command.cpp and
// quantize_command.cpp.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

#include <CLI/CLI.hpp>

#include "app/cli/dist_worker.h"
#include "app/cli/fid_command.h"
#include "app/cli/quantize_command.h"
#include "app/cli/query_commands.h"
#include "app/cli/queue_command.h"
#include "app/cli/submit_command.h"
#include "app/cli/terminal_text.h"
#include "app/cli/train_command.h"
#include "engine/api/dist_env.h"
#include "engine/malloc_tuning.h"
#include "storage/db_path.h"

int main(int argc, char** argv) {
    wb::engine::keep_freed_memory_for_reuse();  // before any thread (see malloc_tuning.h)
    using namespace wb::cli;
    CLI::App app{
        "GenAI Training Workbench, headless: train generative models and query the run "
        "history.\nExit codes: 0 completed, 1 failure, 2 invalid config, 3 data problem, "
        "4 the run is busy in another process, 130 stopped by Ctrl-C."};
    app.require_subcommand(1);
    app.fallthrough();
    std::string db = wb::storage::default_db_path();
    app.add_option("--db", db, "SQLite run history")->capture_default_str();
    bool json = false;

    auto* presets = app.add_subcommand("presets", "List the built-in presets and your own");
    presets->add_flag("--json", json, "JSON output");
    auto* schema =
        app.add_subcommand("schema", "Every config key with its type, default and range");
    schema->add_flag("--json", json, "JSON output");

    TrainOptions train;
    auto* run = app.add_subcommand("run", "Train a run in the foreground");
    auto* preset_opt = run->add_option(
        "--preset", train.preset,
        "Preset: a built-in or saved one by name (see `presets`), or a preset file FILE.json");
    auto* config_opt = run->add_option("--config", train.config_file, "Config JSON file");
    preset_opt->excludes(config_opt);
    run->add_option("--set", train.sets, "Override a key: --set train.steps=500 (repeatable)");
    run->add_option("--name", train.name, "Run name");
    run->add_flag("--json", train.json, "Print a JSON summary at the end");

    // Started by the run service for ranks > 0 of a data-parallel run (not for users).
    auto* worker = app.add_subcommand("dist-worker", "");
    worker->group("");

    int64_t id = 0;
    auto* resume = app.add_subcommand(
        "resume", "Continue a stopped or interrupted run from its last checkpoint");
    resume->add_option("run", id, "Run id")->required();
    resume->add_option("--set", train.sets, "Override a key, e.g. --set train.steps=5000");
    resume->add_flag("--json", train.json, "Print a JSON summary at the end");
    resume->add_flag("--restart", train.restart,
                     "When no checkpoint is left (its folder was removed), or every one is ahead "
                     "of the stored metrics (the database could not be written), start over from "
                     "step 0 and replace the run's stored metrics and samples");

    auto* runs = app.add_subcommand("runs", "List the runs in the database");
    runs->add_flag("--json", json, "JSON output");
    auto* show = app.add_subcommand("show", "One run: status, config, last metrics, log");
    show->add_option("run", id, "Run id")->required();
    show->add_flag("--json", json, "JSON output");

    std::string metric_name;
    bool csv = false;
    auto* metrics = app.add_subcommand("metrics", "A run's metric points");
    metrics->add_option("run", id, "Run id")->required();
    metrics->add_option("--name", metric_name, "Only this metric, e.g. loss/g");
    auto* csv_flag = metrics->add_flag("--csv", csv, "CSV step,wall_s,name,value (default)");
    metrics->add_flag("--json", json, "JSON {name: [[step, wall_s, value], ...]}")
        ->excludes(csv_flag);

    std::string out_dir, model_path;
    bool sparse = false;
    auto* exp = app.add_subcommand(
        "export",
        "Write a run's config, metrics CSV, samples and log to a folder (--out), and/or its "
        "trained model with pruned channels removed (--model)");
    exp->add_option("run", id, "Run id")->required();
    exp->add_option("--out", out_dir, "Target folder");
    auto* model_opt = exp->add_option(
        "--model", model_path,
        "Model file (LibTorch archive of the deployed network, compacted when channel-pruned; "
        "tensor shapes in FILE.json)");
    exp->add_flag("--sparse", sparse,
                  "With --model: store every tensor as bitmap + non-zero values when smaller "
                  "(what magnitude and 2:4 pruning save on disk)")
        ->needs(model_opt);

    FidOptions fid_opt;
    auto* fid = app.add_subcommand(
        "fid",
        "Frechet distance (and KID) between two image sets on the Fashion-MNIST feature "
        "extractor, which is trained once on first use");
    fid->add_option("a", fid_opt.a, "IDX images file (plain or .gz) or folder of PNGs")->required();
    fid->add_option("b", fid_opt.b, "IDX images file (plain or .gz) or folder of PNGs")->required();
    fid->add_option("--limit", fid_opt.limit, "Use the first N images of each set (0: all)");
    fid->add_option("--extractor", fid_opt.extractor,
                    "Feature extractor file (default: fid/fashion_mnist_cnn.wbfx in the data "
                    "folder)");
    fid->add_option("--data", fid_opt.data,
                    "Fashion-MNIST folder to train the extractor from (default: Debian's "
                    "dataset-fashion-mnist)");
    fid->add_option("--threads", fid_opt.threads, "CPU threads (0: every core)");
    fid->add_flag("--json", fid_opt.json, "JSON output");

    QuantizeCliOptions quant_opt;
    auto* quantize = app.add_subcommand(
        "quantize",
        "INT8 post-training quantization of a run's trained GPT: int8 weights per output channel, "
        "activations quantized per call; prints fp32 vs int8 size, inference time and "
        "validation loss");
    quantize->add_option("run", quant_opt.id, "Run id")->required();
    quantize->add_option("--out", quant_opt.out, "Write the int8 model to this file");
    quantize->add_option("--threads", quant_opt.threads, "CPU threads (0: every core)");
    quantize
        ->add_option("--repeats", quant_opt.repeats,
                     "Timed forward passes per model; the median is reported")
        ->capture_default_str();
    quantize->add_flag("--json", quant_opt.json, "JSON output");

    // The run queue (issue 18).
    auto* queue = app.add_subcommand(
        "queue",
        "The run queue: without a subcommand, list it (add, cancel, priority, move change it; "
        "`scheduler` starts its runs)");
    bool queue_all = false;
    queue->add_flag("--all", queue_all, "Also the runs it finished or cancelled");
    queue->add_flag("--json", json, "JSON output");
    TrainOptions qtrain;
    QueueAddOptions qadd;
    auto* qadd_cmd = queue->add_subcommand(
        "add", "Queue a run (the same options as `run`), or a sweep of runs (--sweep, --seeds)");
    auto* qpreset = qadd_cmd->add_option("--preset", qtrain.preset,
                                         "Preset: built-in or saved name, or a preset file");
    auto* qconfig = qadd_cmd->add_option("--config", qtrain.config_file, "Config JSON file");
    qpreset->excludes(qconfig);
    qadd_cmd->add_option("--set", qtrain.sets, "Override a key (repeatable)");
    qadd_cmd->add_option("--name", qtrain.name, "Run name (a sweep's members start with it)");
    qadd_cmd->add_option("--priority", qadd.priority, "Higher runs first and may preempt lower");
    qadd_cmd->add_option("--threads", qadd.threads,
                         "CPU threads it reserves per process (default: train.threads, or 1 "
                         "when that is 0); train.threads is set to it");
    qadd_cmd->add_option("--gpus", qadd.gpus, "GPUs it reserves, any free ones");
    qadd_cmd->add_option("--gpu-ids", qadd.gpu_ids, "Exactly these GPUs, e.g. 0,2");
    qadd_cmd->add_option("--gpu-mem", qadd.gpu_mem_mb,
                         "MiB it reserves on each of its GPUs, so that several runs share one "
                         "(default: the whole GPU)");
    qadd_cmd->add_option("--sweep", qadd.sweeps,
                         "KEY=V1,V2,...: one run per value (repeatable: the grid of all)");
    qadd_cmd->add_option("--seeds", qadd.seeds,
                         "Each point of the sweep with this many seeds (train.seed, +1, ...)");
    qadd_cmd->add_flag("--json", qadd.json, "JSON output");
    auto* qcancel = queue->add_subcommand(
        "cancel", "Take a run out of the queue (a training one stops at a checkpoint)");
    qcancel->add_option("run", id, "Run id")->required();
    int64_t qpriority = 0;
    auto* qprio = queue->add_subcommand("priority", "Change a queued run's priority");
    qprio->add_option("run", id, "Run id")->required();
    qprio->add_option("priority", qpriority, "New priority (higher runs first)")->required();
    int64_t qbefore = 0;
    auto* qmove = queue->add_subcommand("move", "Put a queued run before another (or last)");
    qmove->add_option("run", id, "Run id")->required();
    qmove->add_option("before", qbefore, "The run it goes before; 0 or none: the end");
    SchedulerCliOptions sched;
    auto* scheduler = app.add_subcommand(
        "scheduler",
        "Start queued runs while their threads and GPUs fit the machine, each in its own "
        "process; preempt lower priorities by checkpoint. One per database.");
    scheduler->add_flag("--until-idle", sched.until_idle, "Exit once the queue is empty");
    scheduler->add_option("--cores", sched.cores, "Cores to fill (default: every usable core)");
    scheduler->add_option("--gpus", sched.gpus, "GPUs to use (default: every GPU CUDA sees)");
    scheduler->add_option("--gpu-mem", sched.gpu_mem_mb,
                          "MiB of memory per GPU, for runs that reserve shares of one");
    scheduler->add_option("--interval", sched.interval_s, "Seconds between looks at the queue");
    std::string sweep_name;
    auto* sweep = app.add_subcommand(
        "sweep", "A sweep's members and, over the completed ones, mean ± sd of their metrics");
    sweep->add_option("name", sweep_name, "The sweep's name (its --name)")->required();
    sweep->add_flag("--json", json, "JSON output");
    TrainOptions strain;
    SubmitOptions sopt;
    bool slurm = false;
    auto* submit = app.add_subcommand(
        "submit",
        "Write a cluster job for a run: with --slurm an sbatch script that starts one torchrun "
        "per node with srun, recording into --db");
    submit->add_flag("--slurm", slurm, "A Slurm sbatch script (the only kind so far)")->required();
    auto* spreset = submit->add_option("--preset", strain.preset, "Preset name or file");
    auto* sconfig = submit->add_option("--config", strain.config_file, "Config JSON file");
    spreset->excludes(sconfig);
    submit->add_option("--set", strain.sets, "Override a key (repeatable)");
    submit->add_option("--name", strain.name, "Run and job name");
    submit->add_option("--nodes", sopt.nodes, "Nodes")->capture_default_str();
    submit->add_option("--gpus-per-node", sopt.gpus_per_node, "GPUs per node (0: CPU nodes)");
    submit->add_option("--procs-per-node", sopt.procs_per_node,
                       "Ranks per node (default: one per GPU, or 1)");
    submit->add_option("--time", sopt.time, "Time limit")->capture_default_str();
    submit->add_option("--partition", sopt.partition, "Slurm partition");
    submit
        ->add_option("--grace", sopt.grace_s,
                     "Seconds between Slurm's SIGTERM (preemption, time limit) and the kill: "
                     "the run checkpoints and stops")
        ->capture_default_str();
    submit->add_option("--out", sopt.out, "The script's path (default: NAME.sbatch)");
    // Started by the scheduler for one queued run (not for users).
    auto* qworker = app.add_subcommand("queue-worker", "");
    qworker->group("");
    qworker->add_option("run", id, "Run id")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? kExitOk : kExitBadConfig;
    }
    train.db = db;
    const auto dispatch = [&]() -> int {
        if (*presets) return presets_command(json);
        if (*schema) return schema_command(json);
        if (*run) return run_command(train);
        if (*worker) {
            const auto join = wb::api::join_from_environment();
            if (!join.active()) {
                std::fprintf(stderr, "error: dist-worker runs only as a rank the run starts\n");
                return kExitBadConfig;
            }
            return dist_worker_command(join);
        }
        if (*resume) {
            train.resume_id = id;
            return run_command(train);
        }
        if (*queue) {
            if (*qadd_cmd) {
                qtrain.db = db;
                return queue_add_command(qtrain, qadd);
            }
            if (*qcancel) return queue_cancel_command(db, id);
            if (*qprio) return queue_priority_command(db, id, qpriority);
            if (*qmove) return queue_move_command(db, id, qbefore);
            return queue_list_command(db, queue_all, json);
        }
        if (*scheduler) {
            sched.db = db;
            return scheduler_command(sched);
        }
        if (*sweep) return sweep_command(db, sweep_name, json);
        if (*submit) {
            strain.db = db;
            return submit_command(strain, sopt);
        }
        if (*qworker) {
            train.resume_id = id;
            train.from_queue = true;
            return run_command(train);
        }
        if (*runs) return runs_command(db, json);
        if (*show) return show_command(db, id, json);
        if (*metrics) return metrics_command(db, id, metric_name, json);
        if (*exp) {
            if (out_dir.empty() && model_path.empty()) {
                std::fprintf(stderr, "error: export needs --out FOLDER and/or --model FILE\n");
                return kExitBadConfig;
            }
            int code = kExitOk;
            if (!out_dir.empty()) code = export_command(db, id, out_dir);
            if (code == kExitOk && !model_path.empty())
                code = export_model_command(db, id, model_path, sparse);
            return code;
        }
        if (*fid) return fid_command(fid_opt);
        if (*quantize) {
            quant_opt.db = db;
            return quantize_command(quant_opt);
        }
        return kExitFailure;
    };
    // The commands report what users can cause themselves; this catches what slipped through
    // (a storage error during a read, say), so the CLI never ends in std::terminate.
    int code = kExitFailure;
    try {
        code = dispatch();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", error_text(e).c_str());
    }
    // Output that never arrived (stdout on a full disk or a failing device) is a failure too.
    const bool unflushed = std::fflush(stdout) != 0;
    const int error = errno;
    if (unflushed || std::ferror(stdout)) {
        std::fprintf(stderr,
                     "error: the output could not be written (%s); check where it goes (a full "
                     "disk, a failing device) and run the command again\n",
                     unflushed ? std::strerror(error) : "write error");
        if (code == kExitOk) code = kExitFailure;
    }
    return code;
}
