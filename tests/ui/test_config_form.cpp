// The setup form is generated from the schema: one editor per field with the schema's range and
// choices, edits reach the RunConfig, and validation marks the offending field.
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QToolButton>
#include <QtTest>

#include "engine/api/presets.h"
#include "engine/api/schema.h"
#include "ui/attention_pattern_view.h"
#include "ui/config_form.h"
#include "ui/float_spin_box.h"
#include "ui/run_setup_panel.h"

using namespace wb;

class TestConfigForm final : public QObject {
    Q_OBJECT

private slots:
    void oneEditorPerFieldWithSchemaRanges();
    void editsReachTheConfig();
    void setConfigShowsValuesWithoutClamping();
    void invalidCombinationMarksFieldAndBlocksStart();
    void presetsLoadIntoTheForm();
    void logScaleStepsAlongOneTwoFive();
    void focusedFieldExplainsItself();
    void showsOnlyTheFieldsThatApply();
    void searchFiltersAndSectionsFold();
    void attentionPictureFollowsThePattern();
};

void TestConfigForm::attentionPictureFollowsThePattern() {
    ui::ConfigForm form;
    auto c = api::find_preset("gpt-char")->config;
    c.model.context = 1024;
    form.setConfig(c);
    auto* view = form.findChild<ui::AttentionPatternView*>("attentionPattern");
    QVERIFY(view);
    QVERIFY(view->isVisibleTo(&form));
    QVERIFY2(view->caption().contains("Keeps 100.0% of the causal pairs at context 1024"),
             qPrintable(view->caption()));
    QVERIFY(!form.isFieldShown("model.window"));  // dense: the window does not apply

    auto* combo = form.findChild<QComboBox*>("model.attention");
    QVERIFY(combo);
    combo->setCurrentText("window");
    QCOMPARE(form.config().model.attention, std::string("window"));
    QVERIFY(form.isFieldShown("model.window"));
    QVERIFY(!form.isFieldShown("model.block_size"));
    // Window 128 of 1024 positions: 1024 * 128 - 128 * 127 / 2 of the 1024 * 1025 / 2 pairs.
    QVERIFY2(view->caption().contains("Keeps 23.4%") && view->caption().contains("256 keys"),
             qPrintable(view->caption()));
    QCOMPARE(view->shownPositions(), ui::AttentionPatternView::kShown);
    auto* picture = view->findChild<QLabel*>("attentionPicture");
    QVERIFY(picture && !picture->pixmap().isNull());
    // The drawn mask: the first row keeps one pair; far below the diagonal nothing is kept.
    const QImage image = picture->pixmap().toImage().scaled(256, 256);
    QVERIFY(image.pixelColor(0, 0) != image.pixelColor(255, 0));
    QCOMPARE(image.pixelColor(0, 255), image.pixelColor(10, 255));

    combo->setCurrentText("block");
    QVERIFY(form.isFieldShown("model.block_size") && form.isFieldShown("model.summary_tokens"));

    c.model.kind = "gan_mlp";
    c.data.name = "mixture2d";
    form.setConfig(c);
    QVERIFY(!view->isVisibleTo(&form));
    QVERIFY(!form.isFieldShown("model.attention"));
}

void TestConfigForm::searchFiltersAndSectionsFold() {
    ui::ConfigForm form;
    form.setConfig(api::find_preset("gpt-char")->config);
    form.setFilter("attention heads");  // a label
    QVERIFY(form.isFieldShown("model.heads"));
    QVERIFY(!form.isFieldShown("train.steps"));
    form.setFilter("OPTIM.LR");  // a key, any case
    QVERIFY(form.isFieldShown("optim.lr"));
    QVERIFY(!form.isFieldShown("model.heads"));
    form.setFilter("underflow");  // the teaching text
    QVERIFY(form.isFieldShown("precision"));
    QVERIFY(!form.isFieldShown("amp.init_scale"));    // matches, but fp16 is off: it does not apply
    QVERIFY(!form.isFieldShown("model.latent_dim"));  // never for a GPT, filter or not
    form.setFilter("");
    QVERIFY(form.isFieldShown("train.steps"));

    // A folded section hides its rows; its header stays; a search opens what it finds.
    form.setSectionOpen("Model", false);
    QVERIFY(!form.isFieldShown("model.width"));
    auto* header = form.findChild<QToolButton*>("section Model");
    QVERIFY(header && !header->isHidden() && !header->isChecked());
    form.setFilter("width");
    QVERIFY(form.isFieldShown("model.width"));
    form.setFilter("");
    QVERIFY(!form.isFieldShown("model.width"));
    header->click();
    QVERIFY(form.isFieldShown("model.width"));
}

// What the form shows for a model follows from the schema's applies_to; these are the fields the
// issue names, checked against the widgets, plus every field against the schema.
void TestConfigForm::showsOnlyTheFieldsThatApply() {
    ui::ConfigForm form;
    form.setConfig(api::find_preset("gpt-char")->config);
    QVERIFY(!form.isFieldShown("model.latent_dim"));
    for (const char* mixture : {"data.modes", "data.radius", "data.std"})
        QVERIFY2(!form.isFieldShown(mixture), mixture);
    QVERIFY(form.isFieldShown("model.heads"));
    QVERIFY(form.isFieldShown("augment.text_substitute"));
    QVERIFY(!form.isFieldShown("gan.pack"));

    form.setConfig(api::find_preset("gan-mixture2d")->config);
    QVERIFY(!form.isFieldShown("model.heads"));
    QVERIFY(form.isFieldShown("model.latent_dim"));
    QVERIFY(form.isFieldShown("data.modes"));
    QVERIFY(!form.isFieldShown("sampler.kind"));  // generated points: nothing to sample from
    for (const auto& f : api::schema())
        QCOMPARE(form.isFieldShown(QString::fromStdString(f.path)), f.applies(form.config()));

    // A field's condition: the hard sampler's settings appear with it.
    form.setConfig(api::find_preset("dcgan-fashion")->config);
    QVERIFY(form.isFieldShown("sampler.kind"));
    QVERIFY(!form.isFieldShown("sampler.alpha"));
    qobject_cast<QComboBox*>(form.editor("sampler.kind"))->setCurrentText("hard");
    QVERIFY(form.isFieldShown("sampler.alpha"));

    // Switching the model changes the form, and a hidden field goes back to its default.
    auto* kind = qobject_cast<QComboBox*>(form.editor("model.kind"));
    form.setConfig(api::find_preset("progan-fashion")->config);
    QVERIFY(form.isFieldShown("model.pixel_norm"));
    qobject_cast<QCheckBox*>(form.editor("model.pixel_norm"))->setChecked(false);
    kind->setCurrentText("gpt");
    QVERIFY(!form.isFieldShown("model.pixel_norm"));
    QVERIFY(form.isFieldShown("model.context"));
    QCOMPARE(form.config().model.pixel_norm, api::RunConfig{}.model.pixel_norm);

    // An older stored config with a value its model never used loads without a hidden error.
    api::RunConfig stored = api::find_preset("gpt-char")->config;
    stored.model.latent_dim = 77;
    QVERIFY(!stored.validate().empty());
    form.setConfig(stored);
    QVERIFY(form.config().validate().empty());
    QCOMPARE(form.config().model.latent_dim, api::RunConfig{}.model.latent_dim);
}

void TestConfigForm::oneEditorPerFieldWithSchemaRanges() {
    ui::ConfigForm form;
    QCOMPARE(form.fieldCount(), static_cast<int>(api::schema().size()));
    for (const auto& f : api::schema()) {
        const QString path = QString::fromStdString(f.path);
        QWidget* w = form.editor(path);
        QVERIFY2(w, qPrintable(path));
        QCOMPARE(w->toolTip(), QString::fromStdString(f.help));
        switch (f.type) {
            case api::FieldType::Bool:
                QVERIFY(qobject_cast<QCheckBox*>(w));
                break;
            case api::FieldType::Choice: {
                auto* combo = qobject_cast<QComboBox*>(w);
                QVERIFY2(combo, qPrintable(path));
                QCOMPARE(combo->count(), static_cast<int>(f.choices.size()));
                for (int i = 0; i < combo->count(); ++i)
                    QCOMPARE(combo->itemText(i), QString::fromStdString(f.choices[i]));
                break;
            }
            case api::FieldType::Int: {
                auto* spin = qobject_cast<QSpinBox*>(w);
                QVERIFY2(spin, qPrintable(path));
                QCOMPARE(spin->minimum(), static_cast<int>(f.min));
                QCOMPARE(spin->maximum(), static_cast<int>(f.max));
                break;
            }
            case api::FieldType::Float: {
                auto* spin = qobject_cast<ui::FloatSpinBox*>(w);
                QVERIFY2(spin, qPrintable(path));
                QCOMPARE(spin->minimum(), f.min);
                QCOMPARE(spin->maximum(), f.max);
                QCOMPARE(spin->logStepping(), f.log_scale);
                break;
            }
            case api::FieldType::Text:
                QVERIFY(qobject_cast<QLineEdit*>(w));
                break;
            case api::FieldType::Unset:
                QFAIL("schema field without a type");
                break;
        }
    }
}

void TestConfigForm::editsReachTheConfig() {
    ui::ConfigForm form;
    int edits = 0;
    connect(&form, &ui::ConfigForm::configEdited, this, [&edits] { ++edits; });
    qobject_cast<QComboBox*>(form.editor("optim.name"))->setCurrentText("sgd");
    qobject_cast<QSpinBox*>(form.editor("train.batch_size"))->setValue(64);
    qobject_cast<ui::FloatSpinBox*>(form.editor("optim.lr"))->setValue(3e-4);
    QCOMPARE(form.config().optim.name, std::string("sgd"));
    QCOMPARE(form.config().train.batch_size, int64_t{64});
    QCOMPARE(form.config().optim.lr, 3e-4);
    QCOMPARE(edits, 3);
}

void TestConfigForm::setConfigShowsValuesWithoutClamping() {
    ui::ConfigForm form;
    api::RunConfig c;
    c.optim.lr = 100;  // above the schema's maximum
    form.setConfig(c);
    QCOMPARE(form.config().optim.lr, 100.0);
    QVERIFY(!form.config().validate().empty());
}

void TestConfigForm::invalidCombinationMarksFieldAndBlocksStart() {
    ui::RunSetupPanel panel;
    QVERIFY(panel.selectPreset("gpt-char"));
    QVERIFY(panel.isValid());
    bool lastValidity = true;
    connect(&panel, &ui::RunSetupPanel::validityChanged, this, [&](bool v) { lastValidity = v; });

    qobject_cast<QSpinBox*>(panel.form()->editor("model.heads"))->setValue(3);  // 128 % 3 != 0
    QVERIFY(!panel.isValid());
    QVERIFY(!lastValidity);
    QLabel* error = panel.form()->errorLabel("model.heads");
    QVERIFY(!error->isHidden());
    QVERIFY2(error->text().contains("divisible"), qPrintable(error->text()));
    QVERIFY(panel.form()->editor("model.heads")->property("invalid").toBool());
    auto* summary = panel.findChild<QLabel*>("validationSummary");
    QVERIFY(summary && !summary->isHidden());
    QVERIFY(summary->text().contains("divisible"));

    qobject_cast<QSpinBox*>(panel.form()->editor("model.heads"))->setValue(4);
    QVERIFY(panel.isValid());
    QVERIFY(lastValidity);
    QVERIFY(error->isHidden());
    QVERIFY(!panel.form()->editor("model.heads")->property("invalid").toBool());

    qobject_cast<QComboBox*>(panel.form()->editor("data.name"))->setCurrentText("mixture2d");
    QVERIFY(!panel.isValid());
    QVERIFY(panel.form()->errorLabel("data.name")->text().contains("does not fit"));
}

void TestConfigForm::presetsLoadIntoTheForm() {
    ui::RunSetupPanel panel;
    for (const auto& p : api::presets()) {
        QVERIFY(panel.selectPreset(QString::fromStdString(p.name)));
        QVERIFY(panel.config() == p.config);
        QCOMPARE(qobject_cast<QComboBox*>(panel.form()->editor("model.kind"))->currentText(),
                 QString::fromStdString(p.config.model.kind));
    }
    QVERIFY(!panel.selectPreset("no-such-preset"));
}

void TestConfigForm::logScaleStepsAlongOneTwoFive() {
    ui::FloatSpinBox spin;
    spin.setRange(1e-7, 10);
    spin.setLogStepping(true);
    spin.setValue(1e-3);
    spin.stepBy(1);
    QCOMPARE(spin.value(), 2e-3);
    spin.stepBy(1);
    QCOMPARE(spin.value(), 5e-3);
    spin.stepBy(-3);
    QCOMPARE(spin.value(), 5e-4);
    QCOMPARE(spin.textFromValue(5e-4), spin.locale().toString(5e-4, 'g', 6));
    QString text = "1e-";
    int pos = 3;
    QCOMPARE(spin.validate(text, pos), QValidator::Intermediate);
    text = "1e-4";
    QCOMPARE(spin.validate(text, pos), QValidator::Acceptable);
    text = "abc";
    QCOMPARE(spin.validate(text, pos), QValidator::Invalid);
}

void TestConfigForm::focusedFieldExplainsItself() {
    ui::RunSetupPanel panel;
    panel.show();
    QApplication::setActiveWindow(&panel);
    QVERIFY(QTest::qWaitForWindowActive(&panel));
    const api::FieldSpec* lr = api::find_field("optim.lr");
    panel.form()->editor("optim.lr")->setFocus();
    const auto shows = [&panel](const std::string& text) {
        for (auto* label : panel.findChildren<QLabel*>())
            if (label->isVisible() && label->text().contains(QString::fromStdString(text)))
                return true;
        return false;
    };
    QTRY_VERIFY(shows(lr->help));
    QVERIFY(shows(lr->label));
    for (const auto& section : api::sections())  // the section's text comes along
        if (section.name == lr->section) QVERIFY(shows(section.help));
}

QTEST_MAIN(TestConfigForm)
#include "test_config_form.moc"
