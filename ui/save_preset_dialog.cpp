#include "ui/save_preset_dialog.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include "engine/api/presets.h"

namespace wb::ui {

SavePresetDialog::SavePresetDialog(const api::RunConfig& config, const QString& suggestedName,
                                   QWidget* parent)
    : QDialog(parent), m_config(config) {
    setWindowTitle(tr("Save as preset"));
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(
        tr("Saves the settings in the form as a preset of yours in %1. It "
           "appears in the preset list here, and “workbench-cli run "
           "--preset NAME” trains it.")
            .arg(QDir::toNativeSeparators(QString::fromStdString(api::user_presets_dir()))),
        this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto* form = new QFormLayout;
    m_name = new QLineEdit(suggestedName, this);
    m_name->setObjectName(QStringLiteral("presetName"));
    m_description = new QLineEdit(this);
    m_description->setObjectName(QStringLiteral("presetDescription"));
    m_description->setPlaceholderText(tr("what this preset is for (shown as its tooltip)"));
    form->addRow(tr("&Name"), m_name);
    form->addRow(tr("&Description"), m_description);
    layout->addLayout(form);
    m_note = new QLabel(this);
    m_note->setWordWrap(true);
    layout->addWidget(m_note);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &SavePresetDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_name, &QLineEdit::textChanged, this, &SavePresetDialog::updateNote);
    m_name->selectAll();
    updateNote();
    resize(520, sizeHint().height());
}

QString SavePresetDialog::presetName() const {
    return m_name->text().trimmed();
}

void SavePresetDialog::updateNote() {
    const std::string name = presetName().toStdString();
    QString note;
    bool allowed = !name.empty();
    if (name.empty()) {
        note = tr("Give the preset a name.");
    } else if (api::find_preset(name)) {
        note = tr("“%1” is a built-in preset; choose another name.").arg(presetName());
        allowed = false;
    } else {
        const std::string file = api::user_presets_dir() + "/" + api::user_preset_file_name(name);
        for (const auto& p : api::user_presets())
            if (p.name == name || p.path == file)
                note = tr("Replaces your preset “%1” (%2).")
                           .arg(QString::fromStdString(p.name),
                                QDir::toNativeSeparators(QString::fromStdString(p.path)));
    }
    m_note->setText(note);
    m_note->setVisible(!note.isEmpty());
    m_buttons->button(QDialogButtonBox::Save)->setEnabled(allowed);
}

void SavePresetDialog::accept() {
    api::Preset preset;
    preset.name = presetName().toStdString();
    preset.description = m_description->text().trimmed().toStdString();
    preset.config = m_config;
    std::string error;
    const std::string path = api::save_user_preset(preset, &error);
    if (path.empty()) {
        m_note->setText(tr("Not saved: %1").arg(QString::fromStdString(error)));
        m_note->show();
        return;
    }
    m_savedPath = QString::fromStdString(path);
    QDialog::accept();
}

}  // namespace wb::ui
