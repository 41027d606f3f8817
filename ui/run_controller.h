// RunController: the UI's side of the run service. It drives a service::RunService (start,
// continue, steer, history edits), drains it on a UI timer and turns batches and refusals into
// signals for the widgets.
#pragma once

#include <cstdint>
#include <vector>

#include <QObject>
#include <QTimer>

#include "engine/api/engine.h"
#include "engine/service/run_service.h"

namespace wb::ui {

class RunController final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunController)

public:
    /// Receives every drained batch before the widgets see it (the app passes the Recorder's
    /// record), so what is shown has been handed to storage.
    using EventSink = service::RunService::EventSink;

    /// ~33 ms: fast enough for smooth curves, slow enough that a batch holds many points.
    static constexpr int kDrainIntervalMs = 33;

    RunController(api::Engine& engine, storage::RunStore& store, EventSink sink,
                  QObject* parent = nullptr);
    ~RunController() override;

    /// Creates the run's row and starts it. Returns the run id, or 0 when it could not start
    /// (startFailed tells why).
    int64_t start(const api::RunConfig& config, const QString& name);
    /// Resumes a stopped, interrupted, failed or completed run from its newest checkpoint,
    /// training up to `total_steps`. False when it could not (startFailed tells why).
    bool continueRun(int64_t id, int64_t total_steps);
    void pause(int64_t id);
    void resume(int64_t id);
    void stop(int64_t id);
    /// Asks every live run to stop (each writes a checkpoint); does not wait.
    void stopAll();
    /// Stops every live run, waits for their threads and hands their last events to the sink.
    void shutdown();

    /// Unset for runs this controller did not start.
    api::RunStatus status(int64_t id) const;
    std::vector<int64_t> activeRuns() const;
    bool hasActiveRuns() const { return !activeRuns().empty(); }

    /// History reads and edits go through the service (HistoryPanel holds it).
    service::RunService& service() { return m_service; }
    /// The engine's versions and devices, for Help → About.
    std::string environmentJson() const { return m_engine.environment_json(); }
    /// Switches to another database; only while no run is active (their events belong to the
    /// old one). Returns false otherwise.
    bool setStore(storage::RunStore& store, EventSink sink);

    /// Drains the engine now; the timer calls it.
    void drainNow();

signals:
    void runStarted(qint64 id);
    /// One signal per drained batch, never one per point: receivers append in bulk.
    void eventsArrived(const std::vector<wb::api::RunEvent>& events);
    void runStatusChanged(qint64 id, wb::api::RunStatus status, const QString& message);
    /// The service refused a start or a continue; the message names the cause and the fix.
    void startFailed(const QString& message);
    /// A run ended with a Failed status; the message is the engine's.
    void runFailed(qint64 id, const QString& message);
    /// The sink threw (the database went away); the message is for the user.
    void storageFailed(const QString& message);

private:
    void emitBatch(service::Drained drained);

    api::Engine& m_engine;
    service::RunService m_service;
    QTimer m_drainTimer;
};

}  // namespace wb::ui
