#include "ui/config_form.h"

#include <algorithm>
#include <limits>
#include <map>

#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

#include "ui/attention_pattern_view.h"
#include "ui/config_messages.h"
#include "ui/float_spin_box.h"
#include "ui/wheel_guard.h"

namespace wb::ui {
namespace {

using api::FieldType;
using nlohmann::json;

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

bool isPathField(const api::FieldSpec& spec) {
    const std::string suffix = ".path";
    return spec.type == FieldType::Text && spec.path.size() > suffix.size() &&
           spec.path.compare(spec.path.size() - suffix.size(), suffix.size(), suffix) == 0;
}

QString sectionHelp(const std::string& name) {
    for (const auto& s : api::sections())
        if (s.name == name) return qs(s.help);
    return {};
}

// Marks a field through a dynamic property the form's style sheet matches ("error", "warning"
// or none): the label and message change colour and an erroneous editor gets a tinted
// background. Only the background: a border rule would replace a spin box's platform look,
// arrows included.
void setMark(QLabel* label, QLabel* message, QWidget* editor, const QString& mark) {
    for (QWidget* w : {static_cast<QWidget*>(label), static_cast<QWidget*>(message), editor}) {
        if (w->property("mark").toString() == mark) continue;
        w->setProperty("mark", mark);
        w->style()->unpolish(w);
        w->style()->polish(w);
    }
    editor->setProperty("invalid", mark == QLatin1String("error"));
}

}  // namespace

ConfigForm::ConfigForm(QWidget* parent) : QWidget(parent) {
    setStyleSheet(
        QStringLiteral("QLabel[mark=\"error\"] { color: #d0302f; }"
                       "QLabel[mark=\"warning\"] { color: #a15c00; }"
                       "QAbstractSpinBox[mark=\"error\"], QLineEdit[mark=\"error\"] "
                       "{ background: #fde8e8; }"));
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    for (const auto& section : api::sections()) {
        // The section's name is a header button that folds it; the group holds its rows.
        auto* header = new QToolButton(this);
        header->setObjectName(QStringLiteral("section ") + qs(section.name));
        header->setText(qs(section.name));
        header->setToolTip(qs(section.help));
        header->setCheckable(true);
        header->setChecked(true);
        header->setAutoRaise(true);
        header->setArrowType(Qt::DownArrow);
        header->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        QFont bold = header->font();
        bold.setBold(true);
        header->setFont(bold);
        auto* group = new QGroupBox(this);
        group->setToolTip(qs(section.help));
        connect(header, &QToolButton::toggled, this, [this, header](bool open) {
            header->setArrowType(open ? Qt::DownArrow : Qt::RightArrow);
            updateShownFields();
        });
        auto* form = new QFormLayout(group);
        form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
        form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
        for (const auto& spec : api::schema()) {
            if (spec.section != section.name) continue;
            Field field;
            field.spec = &spec;
            field.editor = createEditor(spec);
            QWidget* cell = isPathField(spec) ? createPathCell(spec, field.editor) : field.editor;
            field.editor->setObjectName(qs(spec.path));
            field.editor->setToolTip(qs(spec.help));
            field.editor->installEventFilter(this);
            if (qobject_cast<QAbstractSpinBox*>(field.editor) ||
                qobject_cast<QComboBox*>(field.editor))
                WheelGuard::install(field.editor);
            field.error = new QLabel(group);
            field.error->setObjectName(QStringLiteral("fieldError"));
            field.error->setWordWrap(true);
            field.error->hide();

            auto* box = new QWidget(group);
            auto* boxLayout = new QVBoxLayout(box);
            boxLayout->setContentsMargins(0, 0, 0, 0);
            boxLayout->setSpacing(2);
            boxLayout->addWidget(cell);
            boxLayout->addWidget(field.error);
            auto* label = new QLabel(qs(spec.label), group);
            label->setToolTip(qs(spec.help));
            label->setBuddy(field.editor);
            field.label = label;
            form->addRow(label, box);
            field.row = box;
            field.form = form;
            field.group = group;
            m_fields.push_back(field);
        }
        if (section.name == "Attention") {
            m_attention = new AttentionPatternView(group);
            m_attention->setObjectName(QStringLiteral("attentionPattern"));
            form->addRow(tr("What it keeps"), m_attention);
        }
        if (form->rowCount() > 0) {
            outer->addWidget(header);
            outer->addWidget(group);
            m_sections.push_back({header, group});
        } else {
            delete group;
            delete header;
        }
    }
    outer->addStretch(1);
    setConfig(m_config);
}

QWidget* ConfigForm::createEditor(const api::FieldSpec& spec) {
    switch (spec.type) {
        case FieldType::Bool: {
            auto* box = new QCheckBox(this);
            connect(box, &QCheckBox::toggled, this, [this, &spec](bool on) { write(spec, on); });
            return box;
        }
        case FieldType::Choice: {
            auto* combo = new QComboBox(this);
            for (const auto& c : spec.choices) combo->addItem(qs(c));
            connect(combo, &QComboBox::currentTextChanged, this,
                    [this, &spec](const QString& text) { write(spec, text.toStdString()); });
            return combo;
        }
        case FieldType::Int: {
            auto* spin = new QSpinBox(this);
            constexpr double kIntMax = std::numeric_limits<int>::max();
            spin->setRange(static_cast<int>(std::max(spec.min, -kIntMax)),
                           static_cast<int>(std::min(spec.max, kIntMax)));
            spin->setGroupSeparatorShown(spec.max >= 100000);
            spin->setKeyboardTracking(false);
            connect(spin, &QSpinBox::valueChanged, this,
                    [this, &spec](int v) { write(spec, static_cast<int64_t>(v)); });
            return spin;
        }
        case FieldType::Float: {
            auto* spin = new FloatSpinBox(this);
            spin->setRange(spec.min, spec.max);
            spin->setLogStepping(spec.log_scale);
            const double span = spec.max - spec.min;
            spin->setSingleStep(span <= 1 ? 0.01 : span <= 10 ? 0.1 : 1.0);
            connect(spin, &QDoubleSpinBox::valueChanged, this,
                    [this, &spec](double v) { write(spec, v); });
            return spin;
        }
        case FieldType::Text: {
            auto* edit = new QLineEdit(this);
            edit->setClearButtonEnabled(true);
            connect(edit, &QLineEdit::textEdited, this,
                    [this, &spec](const QString& text) { write(spec, text.toStdString()); });
            return edit;
        }
        case FieldType::Unset:
            break;
    }
    return new QLabel(tr("(unsupported field type)"), this);
}

// A path field: the line edit plus a browse button that offers a file or a folder, since the
// data readers accept both.
QWidget* ConfigForm::createPathCell(const api::FieldSpec& spec, QWidget* lineEdit) {
    auto* edit = static_cast<QLineEdit*>(lineEdit);
    edit->setPlaceholderText(tr("built-in default"));
    auto* cell = new QWidget(this);
    auto* row = new QHBoxLayout(cell);
    row->setContentsMargins(0, 0, 0, 0);
    edit->setParent(cell);
    row->addWidget(edit, 1);
    auto* browse = new QToolButton(cell);
    browse->setText(tr("Browse…"));
    browse->setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(browse);
    auto choose = [this, edit, &spec](bool folder) {
        const QString start = edit->text();
        const QString picked =
            folder ? QFileDialog::getExistingDirectory(this, tr("Choose a data folder"), start)
                   : QFileDialog::getOpenFileName(this, tr("Choose a data file"), start);
        if (picked.isEmpty()) return;
        edit->setText(picked);
        write(spec, picked.toStdString());
    };
    menu->addAction(tr("File…"), this, [choose] { choose(false); });
    menu->addAction(tr("Folder…"), this, [choose] { choose(true); });
    browse->setMenu(menu);
    row->addWidget(browse);
    return cell;
}

void ConfigForm::write(const api::FieldSpec& spec, const json& value) {
    spec.set(m_config, value);
    m_lastEdited = spec.path;
    if (spec.path == "model.kind") {
        resetFieldsTheModelDoesNotUse();
        for (const auto& f : m_fields) display(f);
    }
    updateShownFields();
    emit configEdited();
}

void ConfigForm::setConfig(const api::RunConfig& config) {
    m_config = config;
    m_lastEdited.clear();
    resetFieldsTheModelDoesNotUse();
    for (const auto& f : m_fields) display(f);
    updateShownFields();
}

// Fields the model does not use are hidden; back to their defaults so that a value nobody can
// see (left by another model, or in an older stored config) does not become a validation error
// on a hidden row. They have no effect on this model either way.
void ConfigForm::resetFieldsTheModelDoesNotUse() {
    api::reset_inapplicable_fields(m_config);
}

void ConfigForm::updateShownFields() {
    std::map<QGroupBox*, bool> any;
    for (const auto& f : m_fields) {
        const bool matches = m_filter.isEmpty() ||
                             qs(f.spec->label).contains(m_filter, Qt::CaseInsensitive) ||
                             qs(f.spec->path).contains(m_filter, Qt::CaseInsensitive) ||
                             qs(f.spec->help).contains(m_filter, Qt::CaseInsensitive);
        const bool shown = f.spec->applies(m_config) && matches;
        f.form->setRowVisible(f.row, shown);
        any[f.group] = any[f.group] || shown;
    }
    if (m_attention) {
        const auto* attention = api::find_field("model.attention");
        const bool shown = attention && attention->applies(m_config);
        if (shown)
            m_attention->setPattern(api::AttentionPattern::from(m_config.model),
                                    m_config.model.context);
        if (auto* form = qobject_cast<QFormLayout*>(m_attention->parentWidget()->layout()))
            form->setRowVisible(m_attention, shown);
    }
    for (const auto& s : m_sections) {
        const bool open = s.header->isChecked() || !m_filter.isEmpty();
        s.header->setVisible(any[s.group]);
        s.group->setVisible(any[s.group] && open);
    }
}

void ConfigForm::setFilter(const QString& text) {
    m_filter = text.trimmed();
    updateShownFields();
}

void ConfigForm::setSectionOpen(const QString& section, bool open) {
    for (const auto& s : m_sections)
        if (s.header->text() == section) s.header->setChecked(open);
}

bool ConfigForm::isFieldShown(const QString& path) const {
    const Field* f = find(path);
    return f && !f->row->isHidden() && !f->group->isHidden();
}

void ConfigForm::display(const Field& f) {
    const QSignalBlocker blocker(f.editor);
    const json v = f.spec->get(m_config);
    switch (f.spec->type) {
        case FieldType::Bool:
            static_cast<QCheckBox*>(f.editor)->setChecked(v.get<bool>());
            break;
        case FieldType::Choice: {
            auto* combo = static_cast<QComboBox*>(f.editor);
            // -1 (blank) for a value that is not a choice; validation names it.
            combo->setCurrentIndex(combo->findText(qs(v.get<std::string>())));
            break;
        }
        case FieldType::Int:
            static_cast<QSpinBox*>(f.editor)->setValue(static_cast<int>(
                std::clamp<int64_t>(v.get<int64_t>(), std::numeric_limits<int>::min(),
                                    std::numeric_limits<int>::max())));
            break;
        case FieldType::Float:
            static_cast<FloatSpinBox*>(f.editor)->setValue(v.get<double>());
            break;
        case FieldType::Text:
            static_cast<QLineEdit*>(f.editor)->setText(qs(v.get<std::string>()));
            break;
        case FieldType::Unset:
            break;
    }
}

std::vector<api::ConfigError> ConfigForm::showErrors(
    const std::vector<api::ConfigError>& errors, const std::vector<api::ConfigError>& warnings) {
    std::vector<api::ConfigError> unplaced;
    std::map<const Field*, QStringList> messages, cautions;
    for (const auto& e : errors) {
        if (const Field* f = find(qs(e.path)))
            messages[f].append(readableMessage(e.message));
        else
            unplaced.push_back(e);
    }
    for (const auto& w : warnings)
        if (const Field* f = find(qs(w.path))) cautions[f].append(readableMessage(w.message));
    for (const auto& f : m_fields) {
        const QStringList shown = messages[&f] + cautions[&f];
        const QString mark = !messages[&f].isEmpty()   ? QStringLiteral("error")
                             : !cautions[&f].isEmpty() ? QStringLiteral("warning")
                                                       : QString();
        setMark(f.label, f.error, f.editor, mark);
        f.error->setText(shown.join(QLatin1Char('\n')));
        f.error->setVisible(!shown.isEmpty());
    }
    return unplaced;
}

QWidget* ConfigForm::editor(const QString& path) const {
    const Field* f = find(path);
    return f ? f->editor : nullptr;
}

QLabel* ConfigForm::errorLabel(const QString& path) const {
    const Field* f = find(path);
    return f ? f->error : nullptr;
}

const ConfigForm::Field* ConfigForm::find(const QString& path) const {
    for (const auto& f : m_fields)
        if (qs(f.spec->path) == path) return &f;
    return nullptr;
}

bool ConfigForm::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() == QEvent::FocusIn) {
        for (const auto& f : m_fields)
            if (f.editor == watched) requestHelp(f);
    }
    return QWidget::eventFilter(watched, event);
}

void ConfigForm::requestHelp(const Field& f) {
    const QString title = tr("%1 · %2").arg(qs(f.spec->section), qs(f.spec->label));
    QString text = qs(f.spec->help);
    const QString section = sectionHelp(f.spec->section);
    if (!section.isEmpty()) text += QStringLiteral("\n\n") + section;
    emit helpRequested(title, text);
}

}  // namespace wb::ui
