// ConfigForm: the RunConfig editor generated from api::schema(): one group per section, one editor
// per field with the schema's range or choices, tooltips from its help, inline validation marks.
// It shows only the fields that apply to the config (FieldSpec::applies_to) and follows changes.
#pragma once

#include <vector>

#include <QWidget>

#include "engine/api/run_config.h"
#include "engine/api/schema.h"

class QFormLayout;
class QGroupBox;
class QLabel;
class QToolButton;

namespace wb::ui {

class AttentionPatternView;

class ConfigForm final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConfigForm)

public:
    explicit ConfigForm(QWidget* parent = nullptr);

    const api::RunConfig& config() const { return m_config; }
    /// Shows `config` as is: out-of-range values stay in the config (and are reported by
    /// validation) instead of being clamped silently by the editors.
    void setConfig(const api::RunConfig& config);
    /// Marks the fields `errors` name (and, less loudly, those `warnings` name); returns the
    /// errors that name no field.
    std::vector<api::ConfigError> showErrors(const std::vector<api::ConfigError>& errors,
                                             const std::vector<api::ConfigError>& warnings = {});
    /// The key of the field the user changed last; empty before the first edit of a config.
    const std::string& lastEdited() const { return m_lastEdited; }

    /// nullptr when `path` names no field.
    QWidget* editor(const QString& path) const;
    /// The inline message under a field's editor (hidden while the field is valid).
    QLabel* errorLabel(const QString& path) const;
    int fieldCount() const { return static_cast<int>(m_fields.size()); }
    /// Whether the field's row is shown: it applies to the current model and settings, matches
    /// the filter and its section is open.
    bool isFieldShown(const QString& path) const;
    /// Shows only the fields whose label, key or teaching text contains `text` (any case); an
    /// empty text shows every field that applies. Matching sections open while filtering.
    void setFilter(const QString& text);
    /// Folds or opens a section, as its header button does.
    void setSectionOpen(const QString& section, bool open);

signals:
    void configEdited();
    /// The user moved to a field: its label, section and teaching text, for the help box.
    void helpRequested(const QString& title, const QString& text);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    struct Field {
        const api::FieldSpec* spec = nullptr;
        QWidget* editor = nullptr;
        QLabel* label = nullptr;
        QLabel* error = nullptr;
        QWidget* row = nullptr;  ///< the editor's cell in its section's form layout
        QFormLayout* form = nullptr;
        QGroupBox* group = nullptr;
    };

    QWidget* createEditor(const api::FieldSpec& spec);
    QWidget* createPathCell(const api::FieldSpec& spec, QWidget* lineEdit);
    void write(const api::FieldSpec& spec, const nlohmann::json& value);
    void display(const Field& field);
    void resetFieldsTheModelDoesNotUse();
    /// Shows the rows (and sections) that apply to m_config, hides the others.
    void updateShownFields();
    void requestHelp(const Field& field);
    const Field* find(const QString& path) const;

    struct Section {
        QToolButton* header = nullptr;  ///< folds and opens the group
        QGroupBox* group = nullptr;
    };

    api::RunConfig m_config;
    std::vector<Field> m_fields;
    AttentionPatternView* m_attention = nullptr;  ///< the Attention section's picture
    std::vector<Section> m_sections;
    QString m_filter;
    std::string m_lastEdited;
};

}  // namespace wb::ui
