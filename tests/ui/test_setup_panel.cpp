// The setup panel as a new user meets it: the wheel scrolls the form instead of changing values,
// presets and edits do not get lost or mislabelled, and validation speaks in the form's labels on
// the field the user changed, warns about steps after the end and checks data paths before Start.
#include <QApplication>
#include <QComboBox>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QStyleOptionSpinBox>
#include <QTimer>
#include <QWheelEvent>
#include <QtTest>

#include "engine/api/presets.h"
#include "ui/config_form.h"
#include "ui/config_messages.h"
#include "ui/float_spin_box.h"
#include "ui/run_setup_panel.h"

using namespace wb;

namespace {

// True when the editor took the wheel turn. One it leaves unaccepted, Qt hands to the scroll
// area around the form (for the spontaneous events a real mouse makes; a sent one stops here).
bool turnWheel(QWidget* w) {
    const QPointF at(w->width() / 2.0, w->height() / 2.0);
    QWheelEvent wheel(at, w->mapToGlobal(at), QPoint(), QPoint(0, -120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(w, &wheel);
    return wheel.isAccepted();
}

// Answers the next modal question box with `button`; `asked` gets its text.
void answerNextBox(QObject* context, QMessageBox::StandardButton button, QString* asked) {
    QTimer::singleShot(0, context, [button, asked] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box) return;
        *asked = box->text();
        box->button(button)->click();
    });
}

QRect upArrow(QAbstractSpinBox* spin) {
    QStyleOptionSpinBox option;
    option.initFrom(spin);
    option.subControls = QStyle::SC_SpinBoxUp | QStyle::SC_SpinBoxDown | QStyle::SC_SpinBoxFrame;
    option.buttonSymbols = spin->buttonSymbols();
    option.frame = true;
    return spin->style()->subControlRect(QStyle::CC_SpinBox, &option, QStyle::SC_SpinBoxUp, spin);
}

}  // namespace

class TestSetupPanel final : public QObject {
    Q_OBJECT

private slots:
    void wheelScrollsTheFormInsteadOfChangingValues();
    void runNameGoesBackToAutomaticOnPresetChange();
    void presetChangeAsksBeforeDroppingEdits();
    void editedDisappearsWhenTheValuesAreBack();
    void loadedConfigNamesItsOriginInThePresetBox();
    void stepsAfterTheEndWarnWithoutBlocking();
    void missingDataPathBlocksStart();
    void aRunBeyondTheMachinesMemoryBlocksStart();
    void errorsNameLabelsOnTheChangedField();
    void messagesUseLabelsNotKeys();
};

void TestSetupPanel::wheelScrollsTheFormInsteadOfChangingValues() {
    ui::RunSetupPanel panel;
    panel.resize(420, 360);  // much shorter than the form: it scrolls
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    auto* radius = qobject_cast<ui::FloatSpinBox*>(panel.form()->editor("data.radius"));
    auto* optimizer = qobject_cast<QComboBox*>(panel.form()->editor("optim.name"));
    QVERIFY(radius && optimizer);
    QCOMPARE(radius->focusPolicy(), Qt::StrongFocus);
    QCOMPARE(optimizer->focusPolicy(), Qt::StrongFocus);
    const double before = radius->value();
    const QString optimizerBefore = optimizer->currentText();
    QVERIFY(!turnWheel(radius));
    QVERIFY(!turnWheel(optimizer));
    QCOMPARE(radius->value(), before);
    QCOMPARE(optimizer->currentText(), optimizerBefore);
    QCOMPARE(panel.config().data.radius, before);
    // The scroll area takes what the editors leave.
    QScrollArea* area = panel.findChild<QScrollArea*>();
    QVERIFY(area->verticalScrollBar()->maximum() > 0);
    QVERIFY(turnWheel(area->viewport()));
    QVERIFY(area->verticalScrollBar()->value() > 0);

    // Once the user has clicked into it, the wheel is theirs.
    QApplication::setActiveWindow(&panel);
    if (!QTest::qWaitForWindowActive(&panel)) QSKIP("this platform cannot activate windows");
    radius->setFocus();
    QTRY_VERIFY(radius->hasFocus());
    QVERIFY(turnWheel(radius));
    QVERIFY(radius->value() != before);
}

void TestSetupPanel::runNameGoesBackToAutomaticOnPresetChange() {
    ui::RunSetupPanel panel;
    auto* name = panel.findChild<QLineEdit*>("runName");
    name->setText("my ring");
    QCOMPARE(panel.runName(), QString("my ring"));
    QVERIFY(panel.selectPreset("gpt-char"));
    QVERIFY(name->text().isEmpty());
    QVERIFY(panel.runName().startsWith("gpt-char "));
    name->setText("again");
    panel.clearRunName();
    QVERIFY(panel.runName().startsWith("gpt-char "));
}

void TestSetupPanel::presetChangeAsksBeforeDroppingEdits() {
    ui::RunSetupPanel panel;
    QVERIFY(panel.selectPreset("gan-mixture2d"));
    auto* preset = panel.findChild<QComboBox*>("preset");
    const int gpt = preset->findText("gpt-char");
    // Without edits there is nothing to lose, so nothing is asked.
    preset->setCurrentIndex(gpt);
    emit preset->activated(gpt);
    QCOMPARE(panel.config().model.kind, std::string("gpt"));

    QVERIFY(panel.selectPreset("gan-mixture2d"));
    qobject_cast<QSpinBox*>(panel.form()->editor("train.steps"))->setValue(777);
    QVERIFY(panel.isEdited());
    QString asked;
    answerNextBox(this, QMessageBox::Cancel, &asked);
    preset->setCurrentIndex(gpt);
    emit preset->activated(gpt);
    QVERIFY2(asked.contains("gpt-char"), qPrintable(asked));
    QCOMPARE(panel.config().train.steps, int64_t{777});  // kept
    QCOMPARE(preset->currentText(), QString("gan-mixture2d"));

    asked.clear();
    answerNextBox(this, QMessageBox::Discard, &asked);
    preset->setCurrentIndex(gpt);
    emit preset->activated(gpt);
    QVERIFY(!asked.isEmpty());
    QCOMPARE(panel.config().model.kind, std::string("gpt"));
    QVERIFY(!panel.isEdited());
}

void TestSetupPanel::editedDisappearsWhenTheValuesAreBack() {
    ui::RunSetupPanel panel;
    QVERIFY(panel.selectPreset("gan-mixture2d"));
    auto* origin = panel.findChildren<QLabel*>().at(1);
    for (QLabel* l : panel.findChildren<QLabel*>())
        if (l->text().contains(
                QString::fromStdString(api::find_preset("gan-mixture2d")->description)))
            origin = l;
    auto* steps = qobject_cast<QSpinBox*>(panel.form()->editor("train.steps"));
    const int original = steps->value();
    steps->setValue(original + 10);
    QVERIFY(panel.isEdited());
    QVERIFY(origin->text().startsWith("Edited."));
    QVERIFY(panel.runName().contains("*"));
    steps->setValue(original);
    QVERIFY(!panel.isEdited());
    QVERIFY(!origin->text().contains("Edited"));
    QVERIFY(!panel.runName().contains("*"));
}

void TestSetupPanel::loadedConfigNamesItsOriginInThePresetBox() {
    ui::RunSetupPanel panel;
    QVERIFY(panel.selectPreset("vae-fashion"));
    auto* preset = panel.findChild<QComboBox*>("preset");
    const int presets = preset->count();
    api::RunConfig c = api::find_preset("gan-mixture2d")->config;
    c.train.steps = 123;
    panel.setConfig(c, "ring-long.json");
    QCOMPARE(preset->currentText(), QString("ring-long.json"));
    QCOMPARE(panel.presetName(), QString("ring-long"));
    QCOMPARE(preset->count(), presets + 1);
    panel.setConfig(c, "other.json");  // one such entry, never a pile of them
    QCOMPARE(preset->count(), presets + 1);
    QCOMPARE(preset->currentText(), QString("other.json"));
    QVERIFY(panel.selectPreset("dcgan-fashion"));
    QCOMPARE(preset->count(), presets);
    QCOMPARE(panel.presetName(), QString("dcgan-fashion"));
}

void TestSetupPanel::stepsAfterTheEndWarnWithoutBlocking() {
    ui::RunSetupPanel panel;
    QVERIFY(panel.selectPreset("gpt-char"));
    api::RunConfig c = panel.config();
    c.sampler.kind = "curriculum";
    c.sampler.full_at_step = c.train.steps + 500;
    panel.setConfig(c, "late.json");
    QVERIFY(panel.isValid());  // a later Continue may still reach that step
    QCOMPARE(panel.warnings().size(), std::size_t{1});
    QLabel* message = panel.form()->errorLabel("sampler.full_at_step");
    QVERIFY(!message->isHidden());
    QVERIFY2(message->text().contains("after the last step"), qPrintable(message->text()));
    QCOMPARE(message->property("mark").toString(), QString("warning"));

    c.sampler.kind = "hard";
    c.sampler.stale_after = c.train.steps + 1;
    panel.setConfig(c, "late.json");
    QCOMPARE(panel.warnings().size(), std::size_t{1});
    QCOMPARE(panel.warnings()[0].path, std::string("sampler.stale_after"));
    c.sampler.stale_after = c.train.steps;
    panel.setConfig(c, "late.json");
    QVERIFY(panel.warnings().empty());
}

void TestSetupPanel::missingDataPathBlocksStart() {
    ui::RunSetupPanel panel;
    QVERIFY(panel.selectPreset("dcgan-fashion"));
    QVERIFY(panel.isValid());
    auto* path = qobject_cast<QLineEdit*>(panel.form()->editor("data.path"));
    path->setText("/nonexistent/fashion");
    emit path->textEdited(path->text());
    QVERIFY(!panel.isValid());
    QLabel* message = panel.form()->errorLabel("data.path");
    QVERIFY2(message->text().contains("/nonexistent/fashion: no such folder"),
             qPrintable(message->text()));
    path->setText(QString());
    emit path->textEdited(QString());
    QVERIFY(panel.isValid());
    QVERIFY(panel.selectPreset("gpt-char"));
    path->setText("/nonexistent/corpus.txt");
    emit path->textEdited(path->text());
    QVERIFY(!panel.isValid());
    QVERIFY(panel.errors().at(0).message.find("no such file or folder") != std::string::npos);
}

// Issue 20: batch 256 x width 2048 x context 2048 passed every range check; the form now says
// before Start what it would need, on the batch size, and what to lower.
void TestSetupPanel::aRunBeyondTheMachinesMemoryBlocksStart() {
    ui::RunSetupPanel panel;
    QVERIFY(panel.selectPreset("gpt-char"));
    api::RunConfig c = panel.config();
    c.train.batch_size = 256;
    c.model.width = 2048;
    c.model.context = 2048;
    panel.setConfig(c, "huge.json");
    QVERIFY(!panel.isValid());
    QLabel* message = panel.form()->errorLabel("train.batch_size");
    QVERIFY2(message->text().contains("this run needs about") &&
                 message->text().contains("GiB this machine allows"),
             qPrintable(message->text()));
    c.train.batch_size = 32;
    c.model.width = 128;
    c.model.context = 64;
    panel.setConfig(c, "small.json");
    QVERIFY(panel.isValid());
}

void TestSetupPanel::errorsNameLabelsOnTheChangedField() {
    ui::RunSetupPanel panel;
    panel.resize(460, 900);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QVERIFY(panel.selectPreset("dcgan-fashion"));
    api::RunConfig c = panel.config();
    c.prune.method = "magnitude";
    c.prune.schedule = "oneshot";
    c.prune.at_step = 400;
    c.train.steps = 1000;
    panel.setConfig(c, "pruned.json");
    QVERIFY(panel.isValid());
    auto* steps = qobject_cast<QSpinBox*>(panel.form()->editor("train.steps"));
    const QRect arrowValid = upArrow(steps);
    steps->setValue(300);  // now the prune step is after the end
    QVERIFY(!panel.isValid());
    QLabel* onPrune = panel.form()->errorLabel("prune.at_step");
    QLabel* onSteps = panel.form()->errorLabel("train.steps");
    QVERIFY(!onPrune->isHidden());
    QVERIFY2(!onSteps->isHidden(), "the message belongs on the field the user changed too");
    QVERIFY2(onSteps->text().contains("“Prune at step”"), qPrintable(onSteps->text()));
    QVERIFY2(!onSteps->text().contains("prune.at_step"), qPrintable(onSteps->text()));
    QVERIFY2(onPrune->text().contains("(“Steps” 300)"), qPrintable(onPrune->text()));
    // The editor keeps its platform look, arrows included; the label and message turn red.
    QVERIFY(steps->styleSheet().isEmpty());
    // (Its height may follow a relayout: the form shows and hides rows as the config changes.)
    QCOMPARE(upArrow(steps).width(), arrowValid.width());
    QVERIFY(!upArrow(steps).isEmpty());
    auto* pruneSpin = qobject_cast<QSpinBox*>(panel.form()->editor("prune.at_step"));
    auto* validSpin = qobject_cast<QSpinBox*>(panel.form()->editor("train.seed"));
    // The text area is tinted: sample the background between the digits and the arrows.
    auto background = [](QSpinBox* spin) {
        const QImage image = spin->grab().toImage();
        return image.pixelColor(upArrow(spin).left() - 4, spin->height() / 2);
    };
    const QColor tinted = background(pruneSpin);
    QVERIFY2(tinted.red() > tinted.green() + 10, qPrintable(tinted.name()));
    QVERIFY(background(validSpin).red() <= background(validSpin).green() + 10);
    QCOMPARE(onPrune->property("mark").toString(), QString("error"));
    // Not cut off: the message has the height its wrapped text needs.
    QTRY_VERIFY(onSteps->height() >= onSteps->heightForWidth(onSteps->width()));
    QVERIFY(onSteps->width() > 100);

    steps->setValue(1000);
    QVERIFY(panel.isValid());
    QVERIFY(onSteps->isHidden());
    QVERIFY(onPrune->isHidden());
    QVERIFY(background(pruneSpin).red() <= background(pruneSpin).green() + 10);
}

void TestSetupPanel::messagesUseLabelsNotKeys() {
    QCOMPARE(ui::readableMessage("must be after prune.start_step (0)"),
             QString("must be after “Gradual start step” (0)"));
    QCOMPARE(ui::readableMessage("2:4 always removes half; set prune.target=0.5."),
             QString("2:4 always removes half; set “Target sparsity” = 0.5."));
    QCOMPARE(ui::readableMessage("'cuda' was asked for; use device=cpu"),
             QString("'cuda' was asked for; use “Device” = cpu"));
    // Plain words and file names stay as they are.
    QCOMPARE(ui::readableMessage("the device is busy; see ckpt-10.pt"),
             QString("the device is busy; see ckpt-10.pt"));
    QCOMPARE(ui::fieldTitle("train.steps"), QString("“Steps”"));
    QCOMPARE(ui::fieldTitle("no.such"), QString("no.such"));
}

QTEST_MAIN(TestSetupPanel)
#include "test_setup_panel.moc"
