#include "ui/run_setup_panel.h"

#include <QComboBox>
#include <QDateTime>
#include <QFormLayout>
#include <QFrame>
#include <QLabel>
#include <QLineEdit>
#include <QScrollArea>
#include <QVBoxLayout>

#include "engine/api/presets.h"
#include "engine/api/schema.h"
#include "ui/config_form.h"

namespace wb::ui {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

}  // namespace

RunSetupPanel::RunSetupPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    auto* top = new QFormLayout;
    top->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_preset = new QComboBox(this);
    m_preset->setObjectName(QStringLiteral("preset"));
    reloadPresets();
    top->addRow(tr("&Preset"), m_preset);
    m_origin = new QLabel(this);
    m_origin->setWordWrap(true);
    m_origin->setStyleSheet(QStringLiteral("color: palette(mid);"));
    top->addRow(QString(), m_origin);
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("runName"));
    m_name->setPlaceholderText(tr("automatic: preset and time"));
    m_name->setClearButtonEnabled(true);
    top->addRow(tr("Run &name"), m_name);
    layout->addLayout(top);

    m_form = new ConfigForm;
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_form);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    layout->addWidget(scroll, 1);

    // The teaching text of the focused field, where it can be read without hovering.
    auto* helpBox = new QFrame(this);
    helpBox->setObjectName(QStringLiteral("helpBox"));
    helpBox->setFrameShape(QFrame::StyledPanel);
    auto* helpLayout = new QVBoxLayout(helpBox);
    m_helpTitle = new QLabel(tr("What this does / what it costs"), helpBox);
    QFont bold = m_helpTitle->font();
    bold.setBold(true);
    m_helpTitle->setFont(bold);
    m_help = new QLabel(tr("Click a field to read what it does, what it costs and what to "
                           "expect."),
                        helpBox);
    m_help->setWordWrap(true);
    m_help->setMinimumHeight(m_help->fontMetrics().lineSpacing() * 5);
    m_help->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    helpLayout->addWidget(m_helpTitle);
    helpLayout->addWidget(m_help);
    layout->addWidget(helpBox);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("validationSummary"));
    m_summary->setWordWrap(true);
    m_summary->setStyleSheet(QStringLiteral("color: #d0302f;"));
    m_summary->hide();
    layout->addWidget(m_summary);

    connect(m_preset, &QComboBox::activated, this,
            [this](int index) { selectPreset(m_preset->itemText(index)); });
    connect(m_form, &ConfigForm::configEdited, this, [this] {
        m_modified = true;
        updateOrigin();
        revalidate();
    });
    connect(m_form, &ConfigForm::helpRequested, this,
            [this](const QString& title, const QString& text) {
                m_helpTitle->setText(title);
                m_help->setText(text);
            });
    selectPreset(QString::fromLatin1(api::kDefaultPreset));
}

const api::RunConfig& RunSetupPanel::config() const {
    return m_form->config();
}

QString RunSetupPanel::presetName() const {
    return m_preset->currentText();
}

QString RunSetupPanel::runName() const {
    const QString typed = m_name->text().trimmed();
    if (!typed.isEmpty()) return typed;
    const QString base = m_originText.isEmpty() ? presetName() : m_originText;
    return tr("%1%2 %3").arg(
        base, m_modified ? QStringLiteral("*") : QString(),
        QDateTime::currentDateTime().toString(QStringLiteral("MM-dd hh:mm:ss")));
}

// Built-in presets first, then the user's own (a separator between them).
void RunSetupPanel::reloadPresets() {
    const QString current = m_preset->currentText();
    std::vector<std::string> problems;
    m_userPresets = api::user_presets(&problems);
    const QSignalBlocker blocker(m_preset);
    m_preset->clear();
    for (const auto& p : api::presets()) {
        m_preset->addItem(qs(p.name));
        m_preset->setItemData(m_preset->count() - 1, qs(p.description), Qt::ToolTipRole);
    }
    if (!m_userPresets.empty()) m_preset->insertSeparator(m_preset->count());
    for (const auto& p : m_userPresets) {
        m_preset->addItem(qs(p.name));
        m_preset->setItemData(m_preset->count() - 1,
                              tr("%1\n(your preset: %2)").arg(qs(p.description), qs(p.path)),
                              Qt::ToolTipRole);
    }
    for (const auto& why : problems) qWarning("preset skipped: %s", why.c_str());
    if (const int at = m_preset->findText(current); at >= 0) m_preset->setCurrentIndex(at);
}

const api::Preset* RunSetupPanel::findPreset(const QString& name) const {
    if (const api::Preset* p = api::find_preset(name.toStdString())) return p;
    for (const auto& p : m_userPresets)
        if (qs(p.name) == name) return &p;
    return nullptr;
}

bool RunSetupPanel::selectPreset(const QString& name) {
    const api::Preset* preset = findPreset(name);
    if (!preset) return false;
    m_preset->setCurrentIndex(m_preset->findText(name));
    m_originText.clear();
    m_modified = false;
    m_form->setConfig(preset->config);
    updateOrigin();
    revalidate();
    emit presetSelected(name);
    return true;
}

void RunSetupPanel::setConfig(const api::RunConfig& config, const QString& origin) {
    m_originText = origin;
    m_modified = false;
    m_form->setConfig(config);
    updateOrigin();
    revalidate();
}

void RunSetupPanel::updateOrigin() {
    QString text;
    if (!m_originText.isEmpty())
        text = tr("From %1").arg(m_originText);
    else if (const api::Preset* p = findPreset(presetName()))
        text = qs(p->description);
    if (m_modified) text = tr("Edited. ") + text;
    m_origin->setText(text);
}

void RunSetupPanel::revalidate() {
    const bool wasValid = isValid();
    m_errors = config().validate();
    // Every message goes into the summary too, including those that name no single field.
    m_form->showErrors(m_errors);
    QStringList lines;
    for (const auto& e : m_errors) {
        const api::FieldSpec* f = api::find_field(e.path);
        const QString where = f ? qs(f->label) : qs(e.path);
        lines.append(where.isEmpty() ? qs(e.message)
                                     : where + QStringLiteral(": ") + qs(e.message));
    }
    m_summary->setText(
        lines.isEmpty() ? QString() : tr("Fix before starting:\n") + lines.join(QLatin1Char('\n')));
    m_summary->setVisible(!lines.isEmpty());
    if (wasValid != isValid()) emit validityChanged(isValid());
}

}  // namespace wb::ui
