#include "app/cli/dist_worker.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/cli/terminal_text.h"
#include "app/cli/train_command.h"
#include "engine/dist/gloo_group.h"
#include "engine/torch_engine.h"

namespace wb::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
    g_stop = 1;
}

double timeout_s() {
    const char* v = std::getenv("WB_DIST_TIMEOUT_S");
    const double t = v ? std::atof(v) : 0;
    return t > 0 ? t : 300;
}

}  // namespace

int dist_worker_command(const api::DistJoin& join) {
    const std::string me = "rank " + std::to_string(join.rank);
    std::shared_ptr<engine::dist::GlooGroup> group;
    engine::dist::StartRecord record;
    api::RunConfig config;
    try {
        group = engine::dist::GlooGroup::join(
            join, std::chrono::milliseconds(static_cast<int64_t>(timeout_s() * 1e3)));
        record = group->start_record();
        std::vector<api::ConfigError> errors;
        config = api::RunConfig::from_json(nlohmann::json::parse(record.config_json), &errors);
        if (!errors.empty())
            throw std::runtime_error("rank 0's settings do not fit this version: " +
                                     api::format_errors(errors));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: error: %s\n", me.c_str(), error_text(e).c_str());
        return kExitFailure;
    }
    std::unique_ptr<api::Engine> engine;
    try {
        engine = engine::make_torch_engine();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: error: the training engine could not start: %s\n", me.c_str(),
                     e.what());
        return kExitFailure;
    }
    api::StartRequest request;
    request.run_id = record.run_id;
    request.config = config;
    request.checkpoint_dir = record.checkpoint_dir;
    request.resume = record.resume;
    request.dist = join;
    if (const auto errors = engine->start(request); !errors.empty()) {
        std::fprintf(stderr, "%s: error: %s\n", me.c_str(), api::format_errors(errors).c_str());
        return kExitBadConfig;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    api::RunStatus status = api::RunStatus::Unset;
    std::string failure;
    bool stop_sent = false;
    while (!api::is_final(status)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (g_stop && !stop_sent) {
            engine->stop(request.run_id);  // the others stop at the same step (run/extension.h)
            stop_sent = true;
        }
        for (const auto& e : engine->drain()) {
            if (e.kind == api::EventKind::Status) {
                status = e.status;
                if (e.status == api::RunStatus::Failed) failure = e.payload;
            } else if (e.kind == api::EventKind::Log && e.name == "warning") {
                std::fprintf(stderr, "%s: warning: %s\n", me.c_str(),
                             printable(e.payload, true).c_str());
            }
        }
    }
    engine->wait(request.run_id);
    if (!failure.empty()) {
        std::fprintf(stderr, "%s: error: %s\n", me.c_str(), printable(failure, true).c_str());
        return kExitFailure;
    }
    return kExitOk;
}

}  // namespace wb::cli
