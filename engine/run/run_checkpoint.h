// The one owner of the run checkpoint format: what a checkpoint holds, its version, the
// migrations from older versions, and the newest-first fallback that resume and export share.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "engine/run/extension.h"

namespace wb::engine {

class Trainer;

namespace checkpoint {

/// 1: meta, rng, torch_rng, trainer (with the generator EMA inside), shared, prune.
/// 2: meta (with the extension keys), rng, trainer, shared, ext/<key> per extension.
inline constexpr int kFormat = 2;

struct Meta {
    int format = kFormat;
    int64_t step = 0;
    double wall_s = 0;
    nlohmann::json config;  ///< the RunConfig the run was trained with, as JSON
};

/// A checkpoint's content failed a check; the message names the file and what is wrong.
struct CheckpointError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Writes the whole state of a run at `meta.step` to `dir`/ckpt-<step>.pt (atomically, keeping
/// the two newest). Returns the path; throws std::runtime_error naming it. `warning`, when given,
/// says so if `dir` had been removed (the folder is made again; the earlier checkpoints are gone).
std::string write(const std::string& dir, const Meta& meta, const at::Generator& run_gen,
                  Trainer& trainer, const std::vector<std::unique_ptr<RunExtension>>& extensions,
                  std::string* warning = nullptr);

/// One opened checkpoint, migrated to kFormat as it is read.
class Reader {
public:
    /// Throws CheckpointError (a record fails its CRC-32, not a checkpoint, a newer format) or
    /// LibTorch's error.
    Reader(const std::string& path, torch::Device device);
    const std::string& path() const { return m_path; }
    const Meta& meta() const { return m_meta; }
    /// The trainer's own state and the shared state (loss scaler) where the file has it.
    void load_trainer(Trainer& trainer);
    /// The trainer's own state as stored: each network under its registry name, optimizers,
    /// data position (export reads the networks from it without building a trainer).
    torch::serialize::InputArchive& trainer_state();
    void load_generator(at::Generator& gen);
    /// A loaded network by name, nullptr when the model has none of that name.
    using Networks = std::function<torch::nn::Module*(const std::string& name)>;
    /// The state stored under an extension's key, or nullptr when the file has none. The
    /// networks must already be loaded (a format-1 EMA is read through its generator's layout).
    torch::serialize::InputArchive* extension(const std::string& key, const Networks& networks);
    torch::serialize::InputArchive* extension(const std::string& key, Trainer& trainer);

private:
    std::string m_path;
    torch::serialize::InputArchive m_root;
    std::unique_ptr<torch::serialize::InputArchive> m_trainer;
    Meta m_meta;
    std::map<std::string, std::unique_ptr<torch::serialize::InputArchive>> m_extensions;
};

/// Opens the checkpoints in `dir` newest first and passes each to `use` until one succeeds;
/// a file that cannot be opened or used is reported to `skipped(path, why)`. Returns the path
/// used, "" when `dir` has no checkpoint; throws CheckpointError listing every file's problem
/// when none could be used.
std::string use_newest(const std::string& dir, torch::Device device,
                       const std::function<void(Reader&)>& use,
                       const std::function<void(const std::string&, const std::string&)>& skipped);

/// Resume: loads the newest usable checkpoint in `dir` into the trainer, every extension and
/// `gen`, warning through host.log about each file it skips. Returns that file's meta and sets
/// `*used` to its path; nullopt when `dir` has no checkpoint. Throws CheckpointError.
std::optional<Meta> restore_newest(const std::string& dir, RunHost& host,
                                   const std::vector<std::unique_ptr<RunExtension>>& extensions,
                                   at::Generator& gen, std::string* used);

}  // namespace checkpoint
}  // namespace wb::engine
