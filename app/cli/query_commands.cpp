// Listing and export of stored runs. Text output is for people; --json output is stable for
// scripts (arrays and objects with the field names of the database).
#include "app/cli/query_commands.h"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "app/cli/progress_line.h"
#include "app/cli/stored_run.h"
#include "app/cli/terminal_text.h"
#include "app/cli/train_command.h"
#include "engine/api/energy_info.h"
#include "engine/api/fid_extractor_info.h"
#include "engine/api/metric_catalog.h"
#include "engine/api/paths.h"
#include "engine/api/presets.h"
#include "engine/api/run_event.h"
#include "engine/api/schema.h"
#include "engine/atomic_file.h"
#include "engine/data/data_error.h"
#include "engine/export/model_export.h"
#include "storage/run_store.h"
#include "storage/storage_error.h"

namespace wb::cli {
namespace {

using nlohmann::json;

json run_json(const storage::RunRow& r) {
    json j = {{"id", r.id},
              {"name", r.name},
              {"status", api::to_string(r.status)},
              {"model", r.model},
              {"steps", r.steps_done},
              {"total_steps", r.total_steps},
              {"created_at", r.created_at},
              {"started_at", r.started_at},
              {"ended_at", r.ended_at},
              {"wall_s", r.wall_s},
              {"notes", r.notes},
              {"checkpoint_dir", r.checkpoint_dir}};
    if (!r.error.empty()) j["error"] = r.error, j["failure"] = api::to_string(r.failure);
    return j;
}

// The run's energy, cost and carbon with the source that measured or estimated them; null for a
// run recorded before runs were measured.
json energy_json(const storage::RunRow& r,
                 const std::map<std::string, storage::MetricPoint>& last) {
    const auto joules = last.find("energy/joules");
    if (joules == last.end()) return nullptr;
    json e = {{"joules", joules->second.value}};
    const std::pair<const char*, const char*> fields[] = {{"kwh", "energy/kwh"},
                                                          {"watts", "energy/watts"},
                                                          {"cost", "cost/total"},
                                                          {"carbon_g", "carbon/grams"}};
    for (const auto& [key, metric] : fields)
        if (const auto it = last.find(metric); it != last.end()) e[key] = it->second.value;
    if (const auto source = api::energy_source_of(r.env_json)) {
        e["source"] = source->label;
        e["estimated"] = source->estimated;
    }
    return e;
}

std::string when(double unix_s) {
    if (unix_s <= 0) return "-";
    const std::time_t t = static_cast<std::time_t>(unix_s);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", std::localtime(&t));
    return buf;
}

// A run's last metric values; damaged pages under them cost only those values (with a warning
// naming the fix), not the listing of every other run.
std::map<std::string, storage::MetricPoint> readable_last_metrics(storage::RunStore& store,
                                                                  int64_t id) {
    try {
        return store.last_metrics(id);
    } catch (const storage::StorageError& e) {
        std::fprintf(stderr, "warning: run %lld's metrics cannot be read: %s\n",
                     static_cast<long long>(id), e.what());
        return {};
    }
}

// The CSV in pieces of about 1 MiB, so a run of millions of points never sits in memory whole.
void write_metrics_csv(storage::RunStore& store, int64_t id, const std::string& only,
                       const std::function<void(const std::string&)>& out) {
    std::string text = "step,wall_s,name,value\n";
    char number[64];
    for (const auto& name : store.metric_names(id)) {
        if (!only.empty() && name != only) continue;
        for (const auto& p : store.metrics(id, name)) {
            text.append(number, std::snprintf(number, sizeof number, "%lld,%.6f,",
                                              static_cast<long long>(p.step), p.wall_s));
            text += name;
            text.append(number, std::snprintf(number, sizeof number, ",%.17g\n", p.value));
            if (text.size() >= (std::size_t{1} << 20)) {
                out(text);
                text.clear();
            }
        }
    }
    out(text);
}

}  // namespace

int presets_command(bool as_json) {
    std::vector<std::string> problems;
    const auto own = api::user_presets(&problems);
    if (as_json) {
        json a = json::array();
        const auto add = [&a](const api::Preset& p) {
            json j = {
                {"name", p.name}, {"description", p.description}, {"config", p.config.to_json()}};
            if (!p.path.empty()) j["path"] = p.path;
            a.push_back(std::move(j));
        };
        for (const auto& p : api::presets()) add(p);
        for (const auto& p : own) add(p);
        std::printf("%s\n", json_text(a, 2).c_str());
    } else {
        for (const auto& p : api::presets())
            std::printf("%-16s %-8s %s\n", printable(p.name).c_str(), p.config.model.kind.c_str(),
                        printable(p.description).c_str());
        if (!own.empty()) std::printf("\nyour presets (%s):\n", api::user_presets_dir().c_str());
        for (const auto& p : own)
            std::printf("%-16s %-8s %s\n", printable(p.name).c_str(), p.config.model.kind.c_str(),
                        printable(p.description).c_str());
    }
    for (const auto& why : problems)
        std::fprintf(stderr, "warning: preset skipped: %s\n", printable(why, true).c_str());
    return kExitOk;
}

int schema_command(bool as_json) {
    if (as_json) {
        std::printf("%s\n", api::schema_json().dump(2).c_str());
        return kExitOk;
    }
    std::string section;
    for (const auto& f : api::schema()) {
        if (f.section != section) std::printf("\n[%s]\n", (section = f.section).c_str());
        std::string allowed;
        if (f.type == api::FieldType::Choice)
            for (const auto& c : f.choices) allowed += (allowed.empty() ? "" : "|") + c;
        else if (f.type == api::FieldType::Int || f.type == api::FieldType::Float)
            allowed = "[" + json(f.min).dump() + ", " + json(f.max).dump() + "]";
        std::printf("  %-24s %-6s default %-12s %s\n      %s\n", f.path.c_str(),
                    api::to_string(f.type), f.default_value().dump().c_str(), allowed.c_str(),
                    f.label.c_str());
    }
    return kExitOk;
}

int runs_command(const std::string& db, bool as_json) {
    auto store = open_store(db);
    if (!store) return kExitFailure;
    const auto rows = store->list_runs();
    if (as_json) {
        json a = json::array();
        for (const auto& r : rows) {
            json j = run_json(r);
            if (json e = energy_json(r, readable_last_metrics(*store, r.id)); !e.is_null())
                j["energy"] = e;
            a.push_back(std::move(j));
        }
        std::printf("%s\n", json_text(a, 2).c_str());
        return kExitOk;
    }
    if (rows.empty()) std::printf("no runs yet in %s\n", store->path().c_str());
    for (const auto& r : rows)
        std::printf("%5lld  %-20s %-8s %-11s %8lld/%-8lld %s  %s\n", static_cast<long long>(r.id),
                    printable(r.name).c_str(), printable(r.model).c_str(), api::to_string(r.status),
                    static_cast<long long>(r.steps_done), static_cast<long long>(r.total_steps),
                    when(r.created_at).c_str(), format_duration(r.wall_s).c_str());
    return kExitOk;
}

int show_command(const std::string& db, int64_t id, bool as_json) {
    auto store = open_store(db);
    if (!store) return kExitFailure;
    auto row = find_run(*store, id);
    if (!row) return kExitFailure;
    json j = run_json(*row);
    // `show` is how a user looks at a damaged row, so it prints the text instead of failing.
    const json config = json::parse(row->config_json, nullptr, false);
    j["config"] = config.is_discarded() ? json(row->config_json) : config;
    const json env = json::parse(row->env_json.empty() ? "{}" : row->env_json, nullptr, false);
    j["environment"] = env.is_discarded() ? json(row->env_json) : env;
    json last = json::object();
    const auto points = readable_last_metrics(*store, id);
    for (const auto& [name, p] : points) last[name] = p.value;
    j["metrics"] = last;
    const json energy = energy_json(*row, points);
    if (!energy.is_null()) j["energy"] = energy;
    if (auto ck = store->latest_checkpoint(id))
        j["checkpoint"] = {{"step", ck->step}, {"path", ck->path}};
    if (as_json) {
        std::printf("%s\n", json_text(j, 2).c_str());
        return kExitOk;
    }
    std::printf("run %lld: %s\n  model %s, status %s, step %lld of %lld, %s\n",
                static_cast<long long>(id), printable(row->name).c_str(),
                printable(row->model).c_str(), api::to_string(row->status),
                static_cast<long long>(row->steps_done), static_cast<long long>(row->total_steps),
                format_duration(row->wall_s).c_str());
    if (!row->error.empty()) std::printf("  error: %s\n", printable(row->error, true).c_str());
    if (!row->notes.empty()) std::printf("  notes: %s\n", printable(row->notes, true).c_str());
    if (!energy.is_null())
        std::printf("  energy %.6g J = %.6g kWh, cost %.6g, carbon %.6g gCO2e; %s\n",
                    energy["joules"].get<double>(), energy.value("kwh", 0.0),
                    energy.value("cost", 0.0), energy.value("carbon_g", 0.0),
                    energy.value("source", std::string("source not recorded")).c_str());
    std::printf("metrics (last value):\n");
    const auto extractor = api::fid_extractor_of(row->env_json);
    const std::string energy_note = api::energy_qualifier(row->env_json);
    for (auto it = last.begin(); it != last.end(); ++it) {
        const api::MetricInfo* info = api::find_metric(it.key(), row->model);
        char number[32];
        std::snprintf(number, sizeof number, "%.6g", it.value().get<double>());
        std::string value = number;
        if (info && !info->unit.empty()) value += " " + info->unit;
        std::string about = info ? std::string(api::to_string(info->better)) + "; " + info->meaning
                                 : "(not in the metric catalog)";
        if ((it.key() == "quality/fid" || it.key() == "quality/kid") && extractor)
            about += " (" + api::describe(*extractor) + ")";
        if (api::is_energy_metric(it.key()) && !energy_note.empty())
            about += " (" + energy_note + ")";
        std::printf("  %-28s %-24s %s\n", printable(it.key()).c_str(), value.c_str(),
                    about.c_str());
    }
    std::printf("config:\n%s\n", printable(json_text(j["config"], 2), true).c_str());
    auto logs = store->logs(id);
    const std::size_t from = logs.size() > 10 ? logs.size() - 10 : 0;
    if (!logs.empty()) std::printf("log:\n");
    for (std::size_t i = from; i < logs.size(); ++i)
        std::printf("  [%lld] %s: %s\n", static_cast<long long>(logs[i].step),
                    printable(logs[i].level).c_str(), printable(logs[i].text, true).c_str());
    return kExitOk;
}

int metrics_command(const std::string& db, int64_t id, const std::string& name, bool as_json) {
    auto store = open_store(db);
    if (!store) return kExitFailure;
    if (!find_run(*store, id)) return kExitFailure;
    if (!as_json) {
        write_metrics_csv(*store, id, name, [](const std::string& text) {
            std::fwrite(text.data(), 1, text.size(), stdout);
        });
        return kExitOk;
    }
    json j = json::object();
    for (const auto& n : store->metric_names(id)) {
        if (!name.empty() && n != name) continue;
        json pts = json::array();
        for (const auto& p : store->metrics(id, n)) pts.push_back({p.step, p.wall_s, p.value});
        j[n] = std::move(pts);
    }
    std::printf("%s\n", json_text(j).c_str());
    return kExitOk;
}

int export_command(const std::string& db, int64_t id, const std::string& out_dir) {
    namespace fs = std::filesystem;
    auto store = open_store(db);
    if (!store) return kExitFailure;
    auto row = find_run(*store, id);
    if (!row) return kExitFailure;
    const fs::path out(out_dir);
    std::error_code ec;
    fs::create_directories(out / "samples", ec);
    if (ec) {
        std::fprintf(stderr, "error: cannot create %s: %s\n", out_dir.c_str(),
                     ec.message().c_str());
        return kExitFailure;
    }
    // Every file is written whole or not at all: a full disk leaves the files of an earlier
    // export as they were instead of replacing them with truncated ones.
    int written = 0;
    try {
        const json config = stored_json(*row, row->config_json, "settings");
        json run = run_json(*row);
        run["environment"] = stored_json(*row, row->env_json, "environment");
        engine::write_file_atomic((out / "config.json").string(), json_text(config, 2) + "\n");
        engine::write_file_atomic((out / "run.json").string(), json_text(run, 2) + "\n");
        engine::AtomicFile csv((out / "metrics.csv").string());
        write_metrics_csv(*store, id, {}, [&csv](const std::string& text) { csv.write(text); });
        csv.commit();
        for (const auto& s : store->samples(id)) {
            const char* ext = s.kind == api::kSamplePng    ? ".png"
                              : s.kind == api::kSampleText ? ".txt"
                                                           : ".json";
            char name[64];
            std::snprintf(name, sizeof name, "step-%08lld%s", static_cast<long long>(s.step), ext);
            engine::write_file_atomic((out / "samples" / name).string(), s.data);
            ++written;
        }
        std::string log;
        for (const auto& l : store->logs(id))
            log += "[" + std::to_string(l.step) + "] " + l.level + ": " + l.text + "\n";
        engine::write_file_atomic((out / "log.txt").string(), log);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: cannot export run %lld to %s: %s\n",
                     static_cast<long long>(id), out_dir.c_str(), error_text(e).c_str());
        return kExitFailure;
    }
    std::fprintf(
        stderr,
        "exported run %lld to %s: config.json, run.json, metrics.csv, log.txt, %d samples\n",
        static_cast<long long>(id), out_dir.c_str(), written);
    return kExitOk;
}

int export_model_command(const std::string& db, int64_t id, const std::string& path, bool sparse) {
    auto store = open_store(db);
    if (!store) return kExitFailure;
    auto row = find_run(*store, id);
    if (!row) return kExitFailure;
    const auto config = stored_config(*row);
    if (!config) return kExitFailure;
    try {
        const auto m = engine::export_model(
            *config, api::checkpoint_dir_of(store->path(), id, row->checkpoint_dir), path, sparse);
        for (const auto& s : m.skipped)
            std::fprintf(stderr, "warning: cannot read checkpoint %s; used an older one\n",
                         s.c_str());
        std::fprintf(stderr,
                     "exported run %lld's model at step %lld to %s: %lld parameters, %lld bytes "
                     "(%s; shapes in %s)\n",
                     static_cast<long long>(id), static_cast<long long>(m.step), path.c_str(),
                     static_cast<long long>(m.parameters), static_cast<long long>(m.bytes),
                     sparse                              ? "sparse format"
                     : config->prune.method == "channel" ? "pruned channels removed"
                                                         : "dense",
                     m.shapes_path.c_str());
        return kExitOk;
    } catch (const engine::data::DataError& e) {
        std::fprintf(stderr, "error: %s\n", error_text(e).c_str());
        return kExitDataProblem;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: cannot export run %lld's model: %s\n",
                     static_cast<long long>(id), error_text(e).c_str());
        return kExitFailure;
    }
}

}  // namespace wb::cli
