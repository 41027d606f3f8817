// workbench: the desktop app. It only wires the layers: the LibTorch engine, the run database
// (store + recorder), the RunController and the MainWindow.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QIcon>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QTimer>

#include "app/gui/database_session.h"
#include "engine/api/presets.h"
#include "engine/malloc_tuning.h"
#include "engine/torch_engine.h"
#include "storage/db_path.h"
#include "storage/storage_error.h"
#include "ui/main_window.h"
#include "ui/run_controller.h"
#include "ui/run_setup_panel.h"

namespace {

using wb::app::DatabaseSession;

constexpr const char* kVersion = "0.1.0";

// Set by SIGINT/SIGTERM; a handler may only touch a lock-free atomic, so a timer acts on it.
std::atomic<bool> g_quitRequested{false};

void requestQuit(int) {
    g_quitRequested = true;
}

// The storage layer's message already names the cause and the fix; this adds the way out.
QString openFailureText(const QString& path, const QString& cause) {
    return QObject::tr(
               "The run database could not be opened:\n%1\n\n%2\n\nYou can open another "
               "database now, or quit and fix the file first.")
        .arg(QDir::toNativeSeparators(path), cause);
}

// Opens `path`, and while that fails lets the user pick another file instead of crashing.
// nullptr when the user gives up.
std::unique_ptr<DatabaseSession> openInteractively(QString path) {
    for (;;) {
        try {
            return std::make_unique<DatabaseSession>(path.toStdString());
        } catch (const wb::storage::StorageError& e) {
            QMessageBox box(QMessageBox::Critical, QObject::tr("Run database problem"),
                            openFailureText(path, QString::fromUtf8(e.what())));
            QPushButton* other =
                box.addButton(QObject::tr("Open another…"), QMessageBox::AcceptRole);
            box.addButton(QObject::tr("Quit"), QMessageBox::RejectRole);
            box.exec();
            if (box.clickedButton() != other) return nullptr;
            path = QFileDialog::getSaveFileName(
                nullptr, QObject::tr("Open or create a run database"), path,
                QObject::tr("Run databases (*.sqlite *.db);;All files (*)"), nullptr,
                QFileDialog::DontConfirmOverwrite);
            if (path.isEmpty()) return nullptr;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    // Before QApplication starts its threads, which would leave the training thread on a malloc
    // arena of its own (see malloc_tuning.h).
    wb::engine::keep_freed_memory_for_reuse();
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QObject::tr("GenAI Training Workbench: configure, train, watch and compare generative "
                    "models."));
    const QCommandLineOption helpOption = parser.addHelpOption();
    const QCommandLineOption versionOption = parser.addVersionOption();
    const QCommandLineOption dbOption(
        QStringLiteral("db"),
        QObject::tr("Run database (default: the last one opened, else %1).")
            .arg(QString::fromStdString(wb::storage::default_db_path())),
        QObject::tr("PATH"));
    const QCommandLineOption presetOption(
        QStringLiteral("preset"),
        QObject::tr("Open with this preset: a built-in or saved one by name, or a preset file."),
        QObject::tr("NAME|FILE.json"));
    const QCommandLineOption configOption(
        QStringLiteral("config"), QObject::tr("Open with this JSON config."), QObject::tr("FILE"));
    const QCommandLineOption startOption(QStringLiteral("start"),
                                         QObject::tr("Start the run at once."));
    parser.addOptions({dbOption, presetOption, configOption, startOption});
    // --help and --version are answered before QApplication exists, so that they work
    // without a display; everything else is parsed after it has taken its own (-platform, ...).
    QStringList arguments;
    for (int i = 0; i < argc; ++i) arguments << QString::fromLocal8Bit(argv[i]);
    parser.parse(arguments);
    if (parser.isSet(helpOption)) {
        // Without a QCoreApplication the parser cannot know the program's name.
        std::printf("%s", qPrintable(parser.helpText().replace(QStringLiteral("<executable_name>"),
                                                               QStringLiteral("workbench"))));
        return 0;
    }
    if (parser.isSet(versionOption)) {
        std::printf("workbench %s\n", kVersion);
        return 0;
    }

    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("genai-workbench"));
    QApplication::setApplicationName(QStringLiteral("workbench"));
    QApplication::setApplicationVersion(QString::fromLatin1(kVersion));

    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/genai-workbench.png")));
    QGuiApplication::setDesktopFileName(QStringLiteral("genai-workbench"));
    parser.process(app);

    const QString preset = parser.value(presetOption);
    std::optional<wb::api::Preset> resolved;
    if (!preset.isEmpty()) {
        std::string why;
        resolved = wb::api::resolve_preset(preset.toStdString(), &why);
        if (!resolved) {
            std::fprintf(stderr, "workbench: %s\n", why.c_str());
            return 2;
        }
    }
    const QString configFile = parser.value(configOption);
    if (!configFile.isEmpty() && !QFileInfo(configFile).isReadable()) {
        std::fprintf(stderr, "workbench: cannot read config file '%s'\n", qPrintable(configFile));
        return 2;
    }

    QString dbPath = parser.value(dbOption);
    if (dbPath.isEmpty()) dbPath = QSettings().value("db/path").toString();
    if (dbPath.isEmpty()) dbPath = QString::fromStdString(wb::storage::default_db_path());

    std::unique_ptr<wb::api::Engine> engine;
    try {
        engine = wb::engine::make_torch_engine();
    } catch (const std::exception& e) {
        QMessageBox::critical(nullptr, QObject::tr("Training engine unavailable"),
                              QObject::tr("The training engine could not start:\n%1")
                                  .arg(QString::fromUtf8(e.what())));
        return 1;
    }
    std::unique_ptr<DatabaseSession> session = openInteractively(dbPath);
    if (!session) return 1;

    wb::ui::RunController controller(*engine, session->store(), session->sink());
    // A data-parallel run's other ranks are workbench-cli processes beside this executable.
    controller.service().set_dist_launch(
        {{}, (QCoreApplication::applicationDirPath() + "/workbench-cli").toStdString()});
    wb::ui::MainWindow window(controller, &session->store());
    // A preset file is not in the preset list: its settings open as from a config file.
    if (resolved && !window.selectPreset(preset))
        window.setupPanel()->setConfig(resolved->config, QString::fromStdString(resolved->name));
    bool canStart = true;
    if (!configFile.isEmpty()) canStart = window.loadConfigFile(configFile);

    QObject::connect(
        &window, &wb::ui::MainWindow::databaseOpenRequested, &window, [&](const QString& path) {
            try {
                auto next = std::make_unique<DatabaseSession>(path.toStdString());
                if (!controller.setStore(next->store(), next->sink())) return;
                window.setStore(&next->store());
                session = std::move(next);  // the old one commits and closes
            } catch (const wb::storage::StorageError& e) {
                window.showStorageError(openFailureText(path, QString::fromUtf8(e.what())));
            }
        });

    // The Recorder drops a batch it cannot commit (full disk, file removed); say so once per
    // new failure instead of letting the history silently miss points.
    QTimer writeCheck;
    std::string shownWriteError;
    QObject::connect(&writeCheck, &QTimer::timeout, &window, [&] {
        const std::string error = session->lastWriteError();
        if (error.empty() || error == shownWriteError) return;
        shownWriteError = error;
        window.showStorageError(QObject::tr("Recording run events failed; some points were not "
                                            "stored:\n%1")
                                    .arg(QString::fromStdString(error)));
    });
    writeCheck.start(2000);

    // Ctrl+C in the terminal (or a script's kill) stops the runs cleanly: each writes a
    // checkpoint and its last events are stored, as when the window is closed.
    std::signal(SIGINT, requestQuit);
    std::signal(SIGTERM, requestQuit);
    QTimer quitCheck;
    QObject::connect(&quitCheck, &QTimer::timeout, &window, [&controller] {
        if (!g_quitRequested) return;
        controller.stopAll();
        QApplication::exit(0);
    });
    quitCheck.start(200);

    window.show();
    if (parser.isSet(startOption) && canStart)
        QTimer::singleShot(0, &window, [&window] { window.startRun(); });
    const int rc = QApplication::exec();
    // Closing (or a signal) asked the runs to stop; wait for their threads, store their last
    // events.
    controller.shutdown();
    session->flush();
    return rc;
}
