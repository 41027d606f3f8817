// File → Save as preset…: the preset file lands in XDG_CONFIG_HOME/genai-workbench/presets, the
// preset list offers it at once and after a restart, and a built-in name is refused.
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "engine/api/presets.h"
#include "storage/run_store.h"
#include "tests/ui/fake_engine.h"
#include "ui/main_window.h"
#include "ui/run_controller.h"
#include "ui/run_setup_panel.h"
#include "ui/save_preset_dialog.h"

using namespace wb;

namespace {

QStringList presetItems(const ui::RunSetupPanel& panel) {
    auto* box = panel.findChild<QComboBox*>("preset");
    QStringList items;
    for (int i = 0; i < box->count(); ++i) items << box->itemText(i);
    return items;
}

// The app's main window on a fake engine and a database of its own.
struct App {
    QTemporaryDir dir;
    storage::RunStore store{dir.filePath("runs.sqlite").toStdString()};
    test::FakeEngine engine;
    ui::RunController controller{engine, store, nullptr};
    ui::MainWindow window{controller, &store};
};

QAction* findAction(QWidget* window, const QString& text) {
    for (QAction* a : window->findChildren<QAction*>())
        if (a->text() == text) return a;
    return nullptr;
}

}  // namespace

class TestSavePreset final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY(m_config.isValid());
        qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8());
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("genai-workbench-test");
        QCoreApplication::setApplicationName("test_ui_save_preset");
    }

    void savedPresetAppearsInThePresetList() {
        App app;
        ui::MainWindow& window = app.window;
        api::RunConfig config = api::find_preset("gan-mixture2d")->config;
        config.train.steps = 777;
        config.data.modes = 5;
        window.setupPanel()->setConfig(config, "edited");

        QAction* save = findAction(&window, "Save as &preset…");
        QVERIFY(save);
        QVERIFY(save->isEnabled());
        bool filled = false;
        QTimer::singleShot(0, [&filled] {
            auto* dialog = qobject_cast<ui::SavePresetDialog*>(QApplication::activeModalWidget());
            if (!dialog) return;
            dialog->nameEdit()->setText("five modes");
            dialog->descriptionEdit()->setText("a ring of five");
            filled = true;
            dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Save)->click();
        });
        save->trigger();
        QVERIFY(filled);

        const QString file = m_config.filePath("genai-workbench/presets/five modes.json");
        QVERIFY(QFile::exists(file));
        QVERIFY(presetItems(*window.setupPanel()).contains("five modes"));
        QCOMPARE(window.setupPanel()->presetName(), QString("five modes"));
        QCOMPARE(window.setupPanel()->config().train.steps, int64_t{777});

        // A restart (a new panel) lists it after the built-ins and loads the same settings.
        ui::RunSetupPanel fresh;
        const QStringList items = presetItems(fresh);
        QCOMPARE(items.indexOf("five modes"), static_cast<int>(api::presets().size()) + 1);
        QVERIFY(fresh.selectPreset("five modes"));
        QCOMPARE(fresh.config().to_json(), config.to_json());
    }

    void builtInNamesAreRefused() {
        const api::RunConfig config = api::find_preset("gpt-char")->config;
        ui::SavePresetDialog dialog(config, "gpt-char");
        auto* saveButton = dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Save);
        QVERIFY(!saveButton->isEnabled());
        QVERIFY(dialog.noteLabel()->text().contains("built-in preset"));
        dialog.nameEdit()->setText("five modes");  // saved by the test before
        QVERIFY(saveButton->isEnabled());
        QVERIFY(dialog.noteLabel()->text().contains("Replaces your preset"));
        dialog.nameEdit()->setText("   ");
        QVERIFY(!saveButton->isEnabled());
    }

    // The menu entry follows the form: a config that cannot start is no preset.
    void invalidFormDisablesSaving() {
        App app;
        ui::MainWindow& window = app.window;
        api::RunConfig bad = api::find_preset("gan-mixture2d")->config;
        bad.model.kind = "vae";  // mixture2d does not fit a VAE
        window.setupPanel()->setConfig(bad, "bad");
        QVERIFY(!findAction(&window, "Save as &preset…")->isEnabled());
    }

private:
    QTemporaryDir m_config;
};

QTEST_MAIN(TestSavePreset)
#include "test_save_preset.moc"
