#include "app/gui/database_session.h"

#include "storage/recorder.h"
#include "storage/run_store.h"

namespace wb::app {

DatabaseSession::DatabaseSession(const std::string& db_path)
    : m_store(std::make_unique<storage::RunStore>(db_path)),
      m_recorder(std::make_unique<storage::Recorder>(db_path)) {}

DatabaseSession::~DatabaseSession() = default;

ui::RunController::EventSink DatabaseSession::sink() const {
    storage::Recorder* recorder = m_recorder.get();
    return [recorder](const std::vector<api::RunEvent>& events) { recorder->record(events); };
}

void DatabaseSession::flush() {
    m_recorder->flush();
}

std::string DatabaseSession::lastWriteError() const {
    return m_recorder->last_error();
}

}  // namespace wb::app
