// Writing, reading and migrating run checkpoints (format history in run_checkpoint.h).
#include "engine/run/run_checkpoint.h"

#include <filesystem>
#include <sstream>

#include "engine/checkpoint.h"
#include "engine/rng_state.h"
#include "engine/run/archive_check.h"
#include "engine/train/trainer.h"

namespace wb::engine::checkpoint {
namespace {

using torch::serialize::InputArchive;
using torch::serialize::OutputArchive;

std::string first_line(const std::string& s) {
    return s.substr(0, s.find('\n'));
}

// A module archive nests one archive per child module: "net.0.weight" is net / 0 / weight.
torch::Tensor read_nested(InputArchive& node, const std::vector<std::string>& path, size_t i) {
    if (i + 1 == path.size()) {
        torch::Tensor t;
        node.read(path[i], t);
        return t;
    }
    InputArchive child;
    node.read(path[i], child);
    return read_nested(child, path, i + 1);
}

// Format 1 kept the generator EMA as a whole module inside the trainer's state ("g_ema") and its
// update count in the trainer's "gan_state". Format 2 is the EMA extension's own state: one
// tensor per generator parameter, in parameter order, with the count.
std::unique_ptr<InputArchive> migrate_ema_1(InputArchive& trainer_part,
                                            const Reader::Networks& networks) {
    InputArchive g_ema;
    if (!trainer_part.try_read("g_ema", g_ema)) return nullptr;
    torch::nn::Module* g = networks("g");
    if (!g) return nullptr;
    OutputArchive out;
    int64_t count = 0;
    for (const auto& p : g->named_parameters()) {
        std::vector<std::string> path;
        std::stringstream names(p.key());
        for (std::string part; std::getline(names, part, '.');) path.push_back(part);
        out.write("p" + std::to_string(count++), read_nested(g_ema, path, 0), /*is_buffer=*/true);
    }
    int64_t updates = 0;
    c10::IValue state;
    if (trainer_part.try_read("gan_state", state))
        updates = nlohmann::json::parse(state.toStringRef()).value("ema_updates", int64_t{0});
    out.write("updates", c10::IValue(updates));
    out.write("count", c10::IValue(count));
    std::ostringstream bytes;
    out.save_to(bytes);
    auto in = std::make_unique<InputArchive>();
    std::istringstream is(bytes.str());
    in->load_from(is);
    return in;
}

}  // namespace

std::string write(const std::string& dir, const Meta& meta, const at::Generator& run_gen,
                  Trainer& trainer, const std::vector<std::unique_ptr<RunExtension>>& extensions,
                  std::string* warning) {
    std::error_code ec;
    if (warning != nullptr && !std::filesystem::exists(dir, ec) && !ec)
        *warning = "the checkpoint folder " + dir +
                   " was removed during the run; it is made again for this and later "
                   "checkpoints, and the earlier ones are lost";
    return write_checkpoint(dir, meta.step, [&](OutputArchive& ar) {
        nlohmann::json keys = nlohmann::json::array();
        for (const auto& e : extensions) keys.push_back(e->key());
        const nlohmann::json m = {{"format", kFormat},
                                  {"step", meta.step},
                                  {"wall_s", meta.wall_s},
                                  {"config", meta.config},
                                  {"extensions", keys}};
        ar.write("meta", c10::IValue(m.dump()));
        ar.write("rng", c10::IValue(generator_state_hex(run_gen)));
        OutputArchive part, shared, ext;
        trainer.save(part);
        ar.write("trainer", part);
        trainer.save_shared(shared);
        ar.write("shared", shared);
        for (const auto& e : extensions) {
            OutputArchive state;
            e->save(state);
            ext.write(e->key(), state);
        }
        ar.write("ext", ext);
    });
}

Reader::Reader(const std::string& path, torch::Device device) : m_path(path) {
    // LibTorch reads damaged tensor bytes without a word; the archive's own CRC-32s tell.
    if (const std::string problem = archive_crc_problem(path); !problem.empty())
        throw CheckpointError(path + ": damaged, " + problem +
                              " (a disk or copy error changed the file)");
    m_root.load_from(path, device);
    c10::IValue meta_v;
    m_root.read("meta", meta_v);
    const auto meta = nlohmann::json::parse(meta_v.toStringRef(), nullptr, false);
    if (!meta.is_object() || !meta.contains("format") || !meta["format"].is_number_integer())
        throw CheckpointError(path + ": not a workbench checkpoint (no format in its header)");
    m_meta.format = meta["format"].get<int>();
    if (m_meta.format < 1 || m_meta.format > kFormat)
        throw CheckpointError(path + ": checkpoint format " + std::to_string(m_meta.format) +
                              " is newer than this build's " + std::to_string(kFormat) +
                              "; resume it with the version that wrote it, or update");
    m_meta.step = meta.at("step").get<int64_t>();
    m_meta.wall_s = meta.at("wall_s").get<double>();
    m_meta.config = meta.value("config", nlohmann::json::object());
}

InputArchive& Reader::trainer_state() {
    if (!m_trainer) {
        auto part = std::make_unique<InputArchive>();
        m_root.read("trainer", *part);
        m_trainer = std::move(part);
    }
    return *m_trainer;
}

void Reader::load_trainer(Trainer& trainer) {
    trainer.load(trainer_state());
    InputArchive shared;
    if (m_root.try_read("shared", shared)) trainer.load_shared(shared);
}

void Reader::load_generator(at::Generator& gen) {
    c10::IValue rng;
    m_root.read("rng", rng);
    set_generator_state_hex(gen, rng.toStringRef());
}

InputArchive* Reader::extension(const std::string& key, Trainer& trainer) {
    return extension(key, [&trainer](const std::string& name) -> torch::nn::Module* {
        auto* net = trainer.network(name);
        return net ? net->module.get() : nullptr;
    });
}

InputArchive* Reader::extension(const std::string& key, const Networks& networks) {
    if (auto it = m_extensions.find(key); it != m_extensions.end()) return it->second.get();
    auto state = std::make_unique<InputArchive>();
    bool found = false;
    if (m_meta.format >= 2) {
        InputArchive ext;
        found = m_root.try_read("ext", ext) && ext.try_read(key, *state);
    } else if (key == "prune") {
        found = m_root.try_read("prune", *state);
    } else if (key == "ema") {
        state = migrate_ema_1(trainer_state(), networks);
        found = state != nullptr;
    }
    auto* p = found ? state.get() : nullptr;
    m_extensions.emplace(key, found ? std::move(state) : nullptr);
    return p;
}

std::string use_newest(const std::string& dir, torch::Device device,
                       const std::function<void(Reader&)>& use,
                       const std::function<void(const std::string&, const std::string&)>& skipped) {
    const auto files = list_checkpoints(dir);
    if (files.empty()) return {};
    std::string problems;
    for (const auto& path : files) {
        try {
            Reader reader(path, device);
            use(reader);
            return path;
        } catch (const std::exception& e) {
            const std::string why = first_line(e.what());
            problems += "\n  " + path + ": " + why;
            skipped(path, why);
        }
    }
    throw CheckpointError(
        "no usable checkpoint in " + dir +
        " (corrupt, or saved with a different model.* or data.* setting):" + problems);
}

std::optional<Meta> restore_newest(const std::string& dir, RunHost& host,
                                   const std::vector<std::unique_ptr<RunExtension>>& extensions,
                                   at::Generator& gen, std::string* used) {
    std::optional<Meta> meta;
    *used = use_newest(
        dir, host.device,
        [&](Reader& r) {
            const auto dims = host.trainer.data_dims();
            r.load_trainer(host.trainer);
            // The checkpoint held a grown model, which the trainer took: the extensions built
            // for the model's first shape must rebuild before they read their state.
            const auto now = host.trainer.data_dims();
            if ((now.layers != dims.layers || now.width != dims.width) && host.params_changed)
                host.params_changed();
            for (const auto& e : extensions)
                e->load(host, r.extension(e->key(), host.trainer), r.meta().step);
            r.load_generator(gen);
            meta = r.meta();
        },
        [&](const std::string& path, const std::string& why) {
            host.log("warning",
                     "cannot read checkpoint " + path + ": " + why + "; trying an older one");
        });
    return meta;
}

}  // namespace wb::engine::checkpoint
