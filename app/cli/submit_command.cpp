#include "app/cli/submit_command.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "app/cli/config_input.h"
#include "app/cli/terminal_text.h"

namespace wb::cli {
namespace {

// Single-quoted for bash: every ' becomes '\''.
std::string shell_quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// sbatch reads #SBATCH lines without a shell: names keep only characters it takes as they are.
std::string sbatch_word(const std::string& s) {
    std::string out;
    for (char c : s)
        out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'
                   ? c
                   : '-';
    return out.empty() ? std::string("run") : out;
}

bool slurm_time(const std::string& t) {
    // [D-]HH:MM:SS or MM:SS or minutes: digits, colons and one dash.
    if (t.empty() || t.size() > 16) return false;
    for (char c : t)
        if (!(std::isdigit(static_cast<unsigned char>(c)) || c == ':' || c == '-')) return false;
    return true;
}

}  // namespace

int submit_command(const TrainOptions& train, const SubmitOptions& o) {
    std::vector<api::ConfigError> errors;
    api::RunConfig config;
    std::string name = train.name;
    if (!new_run_config(train, &config, &name, &errors)) return kExitBadConfig;
    const int gpus = o.gpus_per_node;
    const int procs = o.procs_per_node > 0 ? o.procs_per_node : (gpus > 0 ? gpus : 1);
    if (o.nodes < 1 || o.nodes > 4096) errors.push_back({"--nodes", "must be 1 to 4096"});
    if (gpus < 0 || gpus > 64) errors.push_back({"--gpus-per-node", "must be 0 to 64"});
    if (procs < 1 || procs > 256) errors.push_back({"--procs-per-node", "must be 1 to 256"});
    if (!slurm_time(o.time))
        errors.push_back({"--time", "'" + o.time + "' is not a Slurm time such as 04:00:00"});
    if (o.grace_s < 10) errors.push_back({"--grace", "must be at least 10 seconds"});
    const int world = o.nodes * procs;
    if (world > 1 && config.dist.mode == "off") config.dist.mode = "data";
    config.dist.world_size = world;
    if (gpus > 0 && config.device == "cpu") config.device = "cuda";
    if (errors.empty())
        for (auto& p : config.validate()) errors.push_back(std::move(p));
    if (!errors.empty()) {
        print_config_errors(errors);
        return kExitBadConfig;
    }
    namespace fs = std::filesystem;
    std::error_code ec;
    const std::string script = o.out.empty() ? name + ".sbatch" : o.out;
    const std::string config_path = fs::absolute(script + ".config.json", ec).string();
    const std::string db = fs::absolute(train.db, ec).string();
    const std::string cli = self_executable();
    const int threads = config.train.threads > 0 ? static_cast<int>(config.train.threads) : 1;

    std::string s;
    s += "#!/bin/bash\n";
    s += "# Written by `workbench-cli submit --slurm`: " + std::to_string(o.nodes) + " node(s) x " +
         std::to_string(procs) + " rank(s), one torchrun per node.\n";
    s += "#SBATCH --job-name=" + sbatch_word(name) + "\n";
    s += "#SBATCH --nodes=" + std::to_string(o.nodes) + "\n";
    s += "#SBATCH --ntasks-per-node=1\n";
    s += "#SBATCH --cpus-per-task=" + std::to_string(procs * threads) + "\n";
    if (gpus > 0) s += "#SBATCH --gpus-per-node=" + std::to_string(gpus) + "\n";
    s += "#SBATCH --time=" + o.time + "\n";
    if (!o.partition.empty()) s += "#SBATCH --partition=" + sbatch_word(o.partition) + "\n";
    // Preemption and the time limit: SIGTERM first, the run writes a checkpoint and stops.
    s += "#SBATCH --signal=TERM@" + std::to_string(o.grace_s) + "\n";
    s += "#SBATCH --requeue\n";
    s += "#SBATCH --output=" + sbatch_word(name) + "-%j.log\n";
    s += "set -euo pipefail\n";
    s += "head_node=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\n";
    s += "# On CPU nodes with several interfaces, export GLOO_SOCKET_IFNAME (e.g. ib0) first.\n";
    s += "# torchrun is Debian's python3-torch (or any PyTorch's) module torch.distributed.run.\n";
    s += "srun --kill-on-bad-exit=1 bash -c 'exec \"${WB_PYTHON:-python3}\" -m "
         "torch.distributed.run --nnodes=\"$SLURM_NNODES\" --node_rank=\"$SLURM_NODEID\" "
         "--nproc_per_node=" +
         std::to_string(procs) +
         " --master_addr=\"$0\" --master_port=29500 \"$@\"' \"$head_node\" \\\n";
    s += "    " + shell_quoted(cli) + " --db " + shell_quoted(db) + " run --config " +
         shell_quoted(config_path) + " --name " + shell_quoted(name) + "\n";

    nlohmann::json j = config.to_json();
    const auto write = [](const std::string& path, const std::string& text, bool exec) {
        std::ofstream f(path, std::ios::trunc);
        f << text;
        f.close();
        if (!f) return false;
        if (exec) {
            std::error_code e;
            fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec,
                            fs::perm_options::add, e);
        }
        return true;
    };
    if (!write(config_path, json_text(j, 2) + "\n", false) || !write(script, s, true)) {
        std::fprintf(stderr,
                     "error: cannot write %s or %s: check the folder exists and is writable\n",
                     printable(script).c_str(), printable(config_path).c_str());
        return kExitFailure;
    }
    std::printf("%s\n", script.c_str());
    std::fprintf(stderr,
                 "wrote %s (%d node(s) x %d rank(s)%s) and its config %s; submit it with "
                 "`sbatch %s`. The run records into %s, which every node must reach (a shared "
                 "file system).\n",
                 printable(script).c_str(), o.nodes, procs,
                 gpus > 0 ? (", " + std::to_string(gpus) + " GPU(s) per node").c_str() : "",
                 printable(config_path).c_str(), printable(script).c_str(), printable(db).c_str());
    return kExitOk;
}

}  // namespace wb::cli
