// RunSetupPanel: where a run is configured: preset picker, run name, the schema-generated form,
// a "what this does / what it costs" box and the validator's verdict that gates Start.
#pragma once

#include <vector>

#include <QWidget>

#include "engine/api/presets.h"

class QComboBox;
class QLabel;
class QLineEdit;

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
    /// The preset the form started from (it may have been edited since).
    QString presetName() const;

    /// False when no preset, built-in or the user's, has that name.
    bool selectPreset(const QString& name);
    /// Re-reads the user's presets (after one was saved) and keeps the selection.
    void reloadPresets();
    /// Shows a config that came from elsewhere (a file); `origin` says where, for the user.
    void setConfig(const api::RunConfig& config, const QString& origin);

    ConfigForm* form() const { return m_form; }

signals:
    void validityChanged(bool valid);
    void presetSelected(const QString& name);

private:
    const api::Preset* findPreset(const QString& name) const;
    void revalidate();
    void updateOrigin();

    std::vector<api::Preset> m_userPresets;
    QComboBox* m_preset = nullptr;
    QLabel* m_origin = nullptr;
    QLineEdit* m_name = nullptr;
    ConfigForm* m_form = nullptr;
    QLabel* m_helpTitle = nullptr;
    QLabel* m_help = nullptr;
    QLabel* m_summary = nullptr;
    std::vector<api::ConfigError> m_errors;
    QString m_originText;
    bool m_modified = false;
};

}  // namespace wb::ui
