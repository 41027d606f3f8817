#include "ui/run_controller.h"

#include <exception>

#include <nlohmann/json.hpp>

#include "engine/api/paths.h"
#include "engine/api/preflight.h"
#include "storage/run_store.h"

namespace wb::ui {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

}  // namespace

RunController::RunController(api::Engine& engine, storage::RunStore& store, EventSink sink,
                             QObject* parent)
    : QObject(parent), m_engine(engine), m_store(&store), m_sink(std::move(sink)) {
    m_drainTimer.setInterval(kDrainIntervalMs);
    connect(&m_drainTimer, &QTimer::timeout, this, &RunController::drainNow);
    m_drainTimer.start();
}

RunController::~RunController() = default;

int64_t RunController::start(const api::RunConfig& config, const QString& name) {
    // The engine validates too, but a config problem must not leave a row behind.
    auto problems = config.validate();
    for (auto& p : api::data_path_problems(config)) problems.push_back(std::move(p));
    if (!problems.empty()) {
        emit startFailed(
            tr("The configuration is not valid:\n%1").arg(qs(api::format_errors(problems))));
        return 0;
    }
    int64_t id = 0;
    try {
        // The row's id names the checkpoint folder, so it is set once the id exists.
        id = m_store->create_run(name.toStdString(), config.model.kind, config.to_json().dump(),
                                 m_engine.environment_json(), config.train.steps, {});
        m_store->set_checkpoint_dir(id, api::run_files_dir(m_store->path(), id));
    } catch (const std::exception& e) {
        emit startFailed(tr("Could not record the new run:\n%1").arg(QString::fromUtf8(e.what())));
        return 0;
    }
    api::StartRequest request;
    request.run_id = id;
    request.config = config;
    request.checkpoint_dir = api::run_files_dir(m_store->path(), id);
    const auto errors = m_engine.start(request);
    if (!errors.empty()) {
        const QString message = qs(api::format_errors(errors)).trimmed();
        try {
            m_store->set_status(id, "failed", message.toStdString());
        } catch (const std::exception& e) {
            emit storageFailed(QString::fromUtf8(e.what()));
        }
        emit startFailed(tr("The engine refused to start \"%1\":\n%2").arg(name, message));
        return 0;
    }
    m_status[id] = api::RunStatus::Queued;
    emit runStarted(id);
    return id;
}

bool RunController::continueRun(int64_t id, int64_t total_steps) {
    if (!api::is_final(status(id)) && status(id) != api::RunStatus::Unset) {
        emit startFailed(tr("Run #%1 is still training.").arg(id));
        return false;
    }
    api::StartRequest request;
    request.run_id = id;
    request.resume = true;
    try {
        const auto row = m_store->get_run(id);
        if (!row) {
            emit startFailed(tr("Run #%1 is no longer in the database.").arg(id));
            return false;
        }
        std::vector<api::ConfigError> errors;
        request.config =
            api::RunConfig::from_json(nlohmann::json::parse(row->config_json), &errors);
        request.config.train.steps = total_steps;
        auto problems = request.config.validate();
        errors.insert(errors.end(), problems.begin(), problems.end());
        if (!errors.empty()) {
            emit startFailed(tr("Run #%1 cannot continue:\n%2")
                                 .arg(id)
                                 .arg(QString::fromStdString(api::format_errors(errors))));
            return false;
        }
        request.checkpoint_dir = row->checkpoint_dir.empty()
                                     ? api::run_files_dir(m_store->path(), id)
                                     : row->checkpoint_dir;
        m_store->update_config(id, request.config.to_json().dump(), total_steps);
    } catch (const std::exception& e) {
        emit startFailed(
            tr("Could not read run #%1:\n%2").arg(id).arg(QString::fromUtf8(e.what())));
        return false;
    }
    if (const auto errors = m_engine.start(request); !errors.empty()) {
        emit startFailed(tr("The engine refused to continue run #%1:\n%2")
                             .arg(id)
                             .arg(QString::fromStdString(api::format_errors(errors)).trimmed()));
        return false;
    }
    m_status[id] = api::RunStatus::Queued;
    emit runStarted(id);
    return true;
}

void RunController::pause(int64_t id) {
    if (!api::is_final(status(id))) m_engine.pause(id);
}

void RunController::resume(int64_t id) {
    if (!api::is_final(status(id))) m_engine.resume(id);
}

void RunController::stop(int64_t id) {
    if (!api::is_final(status(id))) m_engine.stop(id);
}

void RunController::stopAll() {
    for (int64_t id : activeRuns()) m_engine.stop(id);
}

void RunController::shutdown() {
    const auto live = activeRuns();
    for (int64_t id : live) m_engine.stop(id);
    for (int64_t id : live) m_engine.wait(id);
    drainNow();
    m_drainTimer.stop();
}

api::RunStatus RunController::status(int64_t id) const {
    const auto it = m_status.find(id);
    return it == m_status.end() ? api::RunStatus::Unset : it->second;
}

std::vector<int64_t> RunController::activeRuns() const {
    std::vector<int64_t> ids;
    for (const auto& [id, s] : m_status)
        if (!api::is_final(s)) ids.push_back(id);
    return ids;
}

bool RunController::setStore(storage::RunStore& store, EventSink sink) {
    if (hasActiveRuns()) return false;
    drainNow();
    m_store = &store;
    m_sink = std::move(sink);
    m_status.clear();
    return true;
}

void RunController::drainNow() {
    std::vector<api::RunEvent> events = m_engine.drain();
    if (events.empty()) return;
    try {
        if (m_sink) m_sink(events);
    } catch (const std::exception& e) {
        emit storageFailed(QString::fromUtf8(e.what()));
    }
    emit eventsArrived(events);
    for (const auto& e : events) {
        if (e.kind != api::EventKind::Status) continue;
        m_status[e.run_id] = e.status;
        const QString message = qs(e.payload);
        emit runStatusChanged(e.run_id, e.status, message);
        if (e.status == api::RunStatus::Failed) emit runFailed(e.run_id, message);
    }
}

}  // namespace wb::ui
