// RunSetupPanel: where a run is configured: preset picker, run name, the schema-generated form,
// a "what this does / what it costs" box and the validator's verdict that gates Start.
#pragma once

#include <vector>

#include <QWidget>

#include "engine/api/memory_estimate.h"
#include "engine/api/presets.h"

class QComboBox;
class QLabel;
class QLineEdit;

namespace wb::storage {
struct RunRow;
}

namespace wb::ui {

class ConfigForm;

class RunSetupPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunSetupPanel)

public:
    explicit RunSetupPanel(QWidget* parent = nullptr);

    const api::RunConfig& config() const;
    /// The name typed by the user, else one made from the preset and the time.
    QString runName() const;
    bool isValid() const { return m_errors.empty(); }
    const std::vector<api::ConfigError>& errors() const { return m_errors; }
    /// Allowed but probably not meant; shown, never blocking.
    const std::vector<api::ConfigError>& warnings() const { return m_warnings; }
    /// The preset the form started from (it may have been edited since), or the name of the
    /// file or run the config came from.
    QString presetName() const;
    /// The form differs from the preset, file or run it started from.
    bool isEdited() const { return m_modified; }

    /// False when no preset, built-in or the user's, has that name. Replaces any edits without
    /// asking.
    bool selectPreset(const QString& name);
    /// Re-reads the user's presets (after one was saved) and keeps the selection.
    void reloadPresets();
    /// Shows a config that came from elsewhere (a file, a run); `origin` says where, for the
    /// user, and stands in the preset box.
    void setConfig(const api::RunConfig& config, const QString& origin);
    /// Back to the automatic name, so that the next run does not share the last one's.
    void clearRunName();
    /// Shows a stored run's exact settings, to run them again with changes. False when the user
    /// kept the edits the form had.
    bool loadRun(const storage::RunRow& run);
    /// True when the form has no edits, or the user agreed to drop them for `replacement`.
    bool confirmReplace(const QString& replacement);

    ConfigForm* form() const { return m_form; }

signals:
    void validityChanged(bool valid);
    void presetSelected(const QString& name);

private:
    const api::Preset* findPreset(const QString& name) const;
    void revalidate();
    void updateOrigin();
    /// The user picked preset `index` in the box; asks before dropping edits.
    void presetActivated(int index);
    /// The box's entry for a config that came from a file or a run (-1: none).
    int customIndex() const;

    std::vector<api::Preset> m_userPresets;
    QComboBox* m_preset = nullptr;
    QLabel* m_origin = nullptr;
    QLineEdit* m_name = nullptr;
    ConfigForm* m_form = nullptr;
    QLabel* m_helpTitle = nullptr;
    QLabel* m_help = nullptr;
    QLabel* m_summary = nullptr;
    std::vector<api::ConfigError> m_errors;
    std::vector<api::ConfigError> m_warnings;
    /// Read once: what a run started from this form may use (api::memory_problems).
    int64_t m_usableMemory = api::usable_memory_bytes();
    api::RunConfig m_base;  ///< what the form started from, so "edited" can be undone by hand
    QString m_originText;
    QString m_presetShown;  ///< the preset last loaded; the box returns to it on "keep edits"
    bool m_modified = false;
};

}  // namespace wb::ui
