#include "ui/run_setup_panel.h"

#include <QComboBox>
#include <QDateTime>
#include <QFormLayout>
#include <QFrame>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QScrollArea>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include "engine/api/preflight.h"
#include "engine/api/presets.h"
#include "engine/api/schema.h"
#include "storage/run_rows.h"
#include "ui/config_form.h"
#include "ui/config_messages.h"

namespace wb::ui {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

// Marks the preset box's entry for a config from a file or a run.
constexpr int kCustomRole = Qt::UserRole + 1;

// Whether the message of an error on another field names `key`: fewer steps put the prune step
// after the end, and that message belongs next to the steps too.
bool concerns(const api::ConfigError& e, const std::string& key) {
    return e.path != key && !e.path.empty() && e.message.find(key) != std::string::npos;
}

bool samePlace(const std::vector<api::ConfigError>& list, const api::ConfigError& e) {
    for (const auto& other : list)
        if (other.path == e.path) return true;
    return false;
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
    // The quick way to any setting: type part of its label, key or teaching text.
    auto* search = new QLineEdit(this);
    search->setObjectName(QStringLiteral("settingsSearch"));
    search->setPlaceholderText(tr("Search settings (label, key or help text)"));
    search->setClearButtonEnabled(true);
    connect(search, &QLineEdit::textChanged, m_form, &ConfigForm::setFilter);
    layout->addWidget(search);
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
    m_summary->setTextFormat(Qt::RichText);
    m_summary->hide();
    layout->addWidget(m_summary);

    connect(m_preset, &QComboBox::activated, this, &RunSetupPanel::presetActivated);
    connect(m_form, &ConfigForm::configEdited, this, [this] {
        m_modified = !(config() == m_base);
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
    if (customIndex() < 0) return m_presetShown;
    QString name = m_originText;
    if (name.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)) name.chop(5);
    return name;
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

void RunSetupPanel::clearRunName() {
    m_name->clear();
}

int RunSetupPanel::customIndex() const {
    for (int i = 0; i < m_preset->count(); ++i)
        if (m_preset->itemData(i, kCustomRole).toBool()) return i;
    return -1;
}

bool RunSetupPanel::confirmReplace(const QString& replacement) {
    if (!m_modified) return true;
    QMessageBox ask(QMessageBox::Question, tr("Replace your edits?"),
                    tr("The form has edits that no preset or file holds. Load %1 and drop "
                       "them?\n\nFile → Save config… keeps them first.")
                        .arg(replacement),
                    QMessageBox::Discard | QMessageBox::Cancel, this);
    ask.setObjectName(QStringLiteral("replaceEdits"));
    ask.setDefaultButton(QMessageBox::Cancel);
    return ask.exec() == QMessageBox::Discard;
}

void RunSetupPanel::presetActivated(int index) {
    if (m_preset->itemData(index, kCustomRole).toBool()) return;  // it is on display already
    const QString name = m_preset->itemText(index);
    if (!confirmReplace(tr("the preset \"%1\"").arg(name))) {
        const int shown = customIndex();
        m_preset->setCurrentIndex(shown >= 0 ? shown : m_preset->findText(m_presetShown));
        return;
    }
    selectPreset(name);
}

bool RunSetupPanel::loadRun(const storage::RunRow& run) {
    const QString origin = tr("run #%1 %2").arg(run.id).arg(qs(run.name));
    if (!confirmReplace(origin)) return false;
    std::vector<api::ConfigError> ignored;
    const auto j = nlohmann::json::parse(run.config_json, nullptr, false);
    setConfig(api::RunConfig::from_json(j, &ignored), origin);
    if (!ignored.empty()) {
        auto* box = new QMessageBox(
            QMessageBox::Information, tr("Settings loaded with problems"),
            tr("The settings of run #%1 were loaded; these stored entries are unknown to this "
               "version and keep their defaults:\n\n%2")
                .arg(run.id)
                .arg(qs(api::format_errors(ignored))),
            QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
    return true;
}

bool RunSetupPanel::selectPreset(const QString& name) {
    const api::Preset* preset = findPreset(name);
    if (!preset) return false;
    if (const int custom = customIndex(); custom >= 0) m_preset->removeItem(custom);
    m_preset->setCurrentIndex(m_preset->findText(name));
    m_presetShown = name;
    m_originText.clear();
    m_modified = false;
    m_base = preset->config;
    m_name->clear();
    m_form->setConfig(preset->config);
    updateOrigin();
    revalidate();
    emit presetSelected(name);
    return true;
}

void RunSetupPanel::setConfig(const api::RunConfig& config, const QString& origin) {
    m_originText = origin;
    m_modified = false;
    m_base = config;
    int custom = customIndex();
    if (custom < 0) {
        m_preset->insertItem(0, origin);
        custom = 0;
        m_preset->setItemData(custom, true, kCustomRole);
    }
    m_preset->setItemText(custom, origin);
    m_preset->setItemData(custom, tr("Not a preset: the settings of %1").arg(origin),
                          Qt::ToolTipRole);
    m_preset->setCurrentIndex(custom);
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
    const std::vector<api::ConfigError> before = m_errors, warnedBefore = m_warnings;
    m_errors = config().validate();
    for (auto& p : api::data_path_problems(config())) m_errors.push_back(std::move(p));
    if (m_errors.empty()) m_errors = api::memory_problems(config(), m_usableMemory);
    m_warnings = api::config_warnings(config());
    // A change can make another field wrong; its message also shows on the field the user just
    // changed, where they are looking.
    std::vector<api::ConfigError> errorsShown = m_errors, warningsShown = m_warnings;
    const std::string& edited = m_form->lastEdited();
    auto echo = [&edited](const std::vector<api::ConfigError>& now,
                          const std::vector<api::ConfigError>& old,
                          std::vector<api::ConfigError>* shown) {
        for (const auto& e : now)
            if (!edited.empty() && (concerns(e, edited) ||
                                    (e.path != edited && !e.path.empty() && !samePlace(old, e))))
                shown->push_back({edited, e.path + ": " + e.message});
    };
    echo(m_errors, before, &errorsShown);
    echo(m_warnings, warnedBefore, &warningsShown);
    // Every message goes into the summary too, including those that name no single field.
    m_form->showErrors(errorsShown, warningsShown);
    QStringList lines;
    auto line = [](const api::ConfigError& e) {
        const QString text = readableMessage(e.message).toHtmlEscaped();
        return e.path.empty() ? text : fieldTitle(e.path).toHtmlEscaped() + ": " + text;
    };
    for (const auto& e : m_errors) lines << QStringLiteral("<br>") + line(e);
    QString html;
    if (!lines.isEmpty())
        html = QStringLiteral("<span style=\"color:#d0302f\">%1%2</span>")
                   .arg(tr("Fix before starting:"), lines.join(QString()));
    lines.clear();
    for (const auto& w : m_warnings) lines << QStringLiteral("<br>") + line(w);
    if (!lines.isEmpty())
        html += QStringLiteral("%1<span style=\"color:#a15c00\">%2%3</span>")
                    .arg(html.isEmpty() ? QString() : QStringLiteral("<br>"),
                         tr("Check (allowed, but probably not meant):"), lines.join(QString()));
    m_summary->setText(html);
    m_summary->setVisible(!html.isEmpty());
    if (wasValid != isValid()) emit validityChanged(isValid());
}

}  // namespace wb::ui
