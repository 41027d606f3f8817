// DatabaseSession: the desktop app's open run database: the RunStore the UI reads and controls,
// and the Recorder that writes the event stream on its own thread, opened and closed together.
#pragma once

#include <memory>
#include <string>

#include "ui/run_controller.h"

namespace wb::storage {
class Recorder;
class RunStore;
}  // namespace wb::storage

namespace wb::app {

class DatabaseSession {
public:
    /// Throws storage::StorageError, whose message names the file, the cause and the fix.
    explicit DatabaseSession(const std::string& db_path);
    /// Commits what the Recorder still holds.
    ~DatabaseSession();
    DatabaseSession(const DatabaseSession&) = delete;
    DatabaseSession& operator=(const DatabaseSession&) = delete;

    storage::RunStore& store() const { return *m_store; }
    /// Hands batches to the Recorder (it never blocks on SQLite).
    ui::RunController::EventSink sink() const;
    void flush();
    /// The Recorder's last failed batch; empty while every batch was committed.
    std::string lastWriteError() const;

private:
    std::unique_ptr<storage::RunStore> m_store;
    std::unique_ptr<storage::Recorder> m_recorder;
};

}  // namespace wb::app
