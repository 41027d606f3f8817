// SavePresetDialog: File → Save as preset…: names the current settings and writes them as a
// preset file into the user's config folder, where the preset list finds them.
#pragma once

#include <QDialog>

#include "engine/api/run_config.h"

class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace wb::ui {

class SavePresetDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SavePresetDialog)

public:
    /// `config` must be valid (a preset that does not validate would not load again).
    SavePresetDialog(const api::RunConfig& config, const QString& suggestedName,
                     QWidget* parent = nullptr);

    QLineEdit* nameEdit() const { return m_name; }
    QLineEdit* descriptionEdit() const { return m_description; }
    /// What stops or changes the save (a built-in name, a preset it replaces, a write error).
    QLabel* noteLabel() const { return m_note; }
    /// After accept(): the preset's name and the file it went to.
    QString presetName() const;
    QString savedPath() const { return m_savedPath; }

    /// Writes the preset; stays open with the reason shown when it cannot.
    void accept() override;

private:
    void updateNote();

    api::RunConfig m_config;
    QLineEdit* m_name = nullptr;
    QLineEdit* m_description = nullptr;
    QLabel* m_note = nullptr;
    QDialogButtonBox* m_buttons = nullptr;
    QString m_savedPath;
};

}  // namespace wb::ui
