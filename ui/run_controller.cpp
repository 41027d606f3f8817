// Qt glue around service::RunService: refusals become startFailed, batches one signal each.
#include "ui/run_controller.h"

#include <utility>

#include "engine/api/preflight.h"

namespace wb::ui {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

}  // namespace

RunController::RunController(api::Engine& engine, storage::RunStore& store, EventSink sink,
                             QObject* parent)
    : QObject(parent), m_engine(engine), m_service(engine, store, std::move(sink)) {
    m_drainTimer.setInterval(kDrainIntervalMs);
    connect(&m_drainTimer, &QTimer::timeout, this, &RunController::drainNow);
    m_drainTimer.start();
}

RunController::~RunController() = default;

int64_t RunController::start(const api::RunConfig& config, const QString& name) {
    // A missing data file is found before a row exists for it (the service validates the rest).
    if (const auto missing = api::data_path_problems(config); !missing.empty()) {
        emit startFailed(
            tr("The configuration is not valid:\n%1").arg(qs(api::format_errors(missing))));
        return 0;
    }
    const service::Started started = m_service.start(config, name.toStdString());
    if (!started.ok()) {
        emit startFailed(qs(started.refusal->message));
        return 0;
    }
    emit runStarted(started.run_id);
    return started.run_id;
}

bool RunController::continueRun(int64_t id, int64_t total_steps) {
    service::StoredRun stored = m_service.stored_run(id);
    if (!stored.ok()) {
        emit startFailed(qs(stored.refusal->message));
        return false;
    }
    stored.config.train.steps = total_steps;
    const service::Started started = m_service.continue_run(id, stored.config);
    if (!started.ok()) {
        emit startFailed(qs(started.refusal->message));
        return false;
    }
    emit runStarted(id);
    return true;
}

void RunController::pause(int64_t id) {
    m_service.pause(id);
}

void RunController::resume(int64_t id) {
    m_service.resume(id);
}

void RunController::stop(int64_t id) {
    m_service.stop(id);
}

void RunController::stopAll() {
    m_service.stop_all();
}

void RunController::shutdown() {
    emitBatch(m_service.shutdown());
    m_drainTimer.stop();
}

api::RunStatus RunController::status(int64_t id) const {
    return m_service.status(id);
}

std::vector<int64_t> RunController::activeRuns() const {
    return m_service.active_runs();
}

bool RunController::setStore(storage::RunStore& store, EventSink sink) {
    if (hasActiveRuns()) return false;
    drainNow();
    return m_service.set_store(store, std::move(sink));
}

void RunController::drainNow() {
    emitBatch(m_service.drain());
}

void RunController::emitBatch(service::Drained drained) {
    if (drained.events.empty()) return;
    if (!drained.sink_error.empty()) emit storageFailed(qs(drained.sink_error));
    emit eventsArrived(drained.events);
    for (const auto& e : drained.events) {
        if (e.kind != api::EventKind::Status) continue;
        const QString message = qs(e.payload);
        emit runStatusChanged(e.run_id, e.status, message);
        if (e.status == api::RunStatus::Failed) emit runFailed(e.run_id, message);
    }
}

}  // namespace wb::ui
