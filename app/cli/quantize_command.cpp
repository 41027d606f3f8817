// Looks the run up, hands its config and checkpoints to engine::quant::quantize_run and prints
// the comparison: JSON for scripts, a short table for people.
#include "app/cli/quantize_command.h"

#include <cstdio>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/cli/stored_run.h"
#include "app/cli/terminal_text.h"
#include "app/cli/train_command.h"
#include "engine/api/paths.h"
#include "engine/data/data_error.h"
#include "engine/quant/quantize_run.h"

namespace wb::cli {

namespace {

double ratio(double a, double b) {
    return b > 0 ? a / b : 0;
}

}  // namespace

int quantize_command(const QuantizeCliOptions& o) {
    auto store = open_store(o.db);
    if (!store) return kExitFailure;
    auto row = find_run(*store, o.id);
    if (!row) return kExitFailure;
    const auto config = stored_config(*row);
    if (!config) return kExitFailure;
    engine::quant::QuantizeOptions q;
    q.out_path = o.out;
    q.threads = o.threads > 0 ? static_cast<int>(o.threads)
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    q.repeats = static_cast<int>(std::max<int64_t>(1, o.repeats));
    const auto id = static_cast<long long>(o.id);
    try {
        const auto r = engine::quant::quantize_run(
            *config, api::checkpoint_dir_of(store->path(), o.id, row->checkpoint_dir), q);
        for (const auto& s : r.skipped)
            std::fprintf(stderr, "warning: cannot read checkpoint %s; used an older one\n",
                         s.c_str());
        if (o.json) {
            nlohmann::json j = {
                {"run", o.id},
                {"step", r.step},
                {"model", config->model.kind},
                {"backend", r.backend},
                {"weights", "int8 per output channel, symmetric"},
                {"activations", "dynamic per tensor, asymmetric"},
                {"activation_levels", r.activation_levels},
                {"fp32_size_bytes", r.fp32_size_bytes},
                {"int8_size_bytes", r.int8_size_bytes},
                {"size_ratio", ratio(r.fp32_size_bytes, r.int8_size_bytes)},
                {"threads", r.threads},
                {"infer_batch", r.batch},
                {"infer_context", r.context},
                {"fp32_infer_ms", r.fp32_infer_ms},
                {"int8_infer_ms", r.int8_infer_ms},
                {"infer_speedup", ratio(r.fp32_infer_ms, r.int8_infer_ms)},
                {"generate_tokens", r.generate_tokens},
                {"fp32_generate_ms", r.fp32_generate_ms},
                {"int8_generate_ms", r.int8_generate_ms},
                {"generate_speedup", ratio(r.fp32_generate_ms, r.int8_generate_ms)},
                {"quality_metric", "loss/val"},
                {"quality_windows", r.eval_windows},
                {"fp32_quality", r.fp32_quality},
                {"int8_quality", r.int8_quality},
                {"top1_agreement", r.top1_agreement},
                {"out", o.out.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.out)}};
            std::printf("%s\n", json_text(j, 2).c_str());
        } else {
            std::printf("run %lld (gpt, step %lld), int8 on %s, %d thread(s)\n", id,
                        static_cast<long long>(r.step), r.backend.c_str(), r.threads);
            std::printf("%-28s %14s %14s %8s\n", "", "fp32", "int8", "ratio");
            std::printf("%-28s %14lld %14lld %7.2fx\n", "size (bytes)",
                        static_cast<long long>(r.fp32_size_bytes),
                        static_cast<long long>(r.int8_size_bytes),
                        ratio(r.fp32_size_bytes, r.int8_size_bytes));
            std::printf("%-28s %14.3f %14.3f %7.2fx\n", "forward ms (median)", r.fp32_infer_ms,
                        r.int8_infer_ms, ratio(r.fp32_infer_ms, r.int8_infer_ms));
            std::printf("%-28s %14.3f %14.3f %7.2fx\n", "generate ms (median)", r.fp32_generate_ms,
                        r.int8_generate_ms, ratio(r.fp32_generate_ms, r.int8_generate_ms));
            std::printf("%-28s %14.4f %14.4f %+7.2f%%\n", "loss/val", r.fp32_quality,
                        r.int8_quality, 100 * (ratio(r.int8_quality, r.fp32_quality) - 1));
            std::printf(
                "forward: %lld windows of %lld tokens; generate: %lld tokens for each of "
                "them; loss/val on %lld windows; top-1 agreement %.1f%%\n",
                static_cast<long long>(r.batch), static_cast<long long>(r.context),
                static_cast<long long>(r.generate_tokens), static_cast<long long>(r.eval_windows),
                100 * r.top1_agreement);
        }
        if (!o.out.empty())
            std::fprintf(stderr, "wrote the int8 model of run %lld to %s (%lld bytes)\n", id,
                         o.out.c_str(), static_cast<long long>(r.int8_size_bytes));
        return kExitOk;
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "error: cannot quantize run %lld: %s\n", id, e.what());
        return kExitBadConfig;
    } catch (const engine::data::DataError& e) {
        std::fprintf(stderr, "error: %s\n", error_text(e).c_str());
        return kExitDataProblem;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: cannot quantize run %lld: %s\n", id, error_text(e).c_str());
        return kExitFailure;
    }
}

}  // namespace wb::cli
