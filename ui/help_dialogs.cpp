#include "ui/help_dialogs.h"

#include <QAction>
#include <QCoreApplication>
#include <QFile>
#include <QMessageBox>
#include <QWidget>

#include <nlohmann/json.hpp>

namespace wb::ui {
namespace {

// /proc/cpuinfo's model name; empty where there is none (not Linux, some ARM boards).
QString cpuModel() {
    QFile f(QStringLiteral("/proc/cpuinfo"));
    if (!f.open(QIODevice::ReadOnly)) return {};
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("model name"))
            return QString::fromUtf8(line.mid(line.indexOf(':') + 1)).trimmed();
    return {};
}

}  // namespace

QString shortcutsText(const QWidget* window) {
    QStringList lines;
    for (const QAction* a : window->findChildren<QAction*>()) {
        if (a->shortcut().isEmpty() || a->text().isEmpty()) continue;
        const QString line = a->shortcut().toString(QKeySequence::NativeText) + QLatin1Char('\t') +
                             QString(a->text()).remove(QLatin1Char('&'));
        if (!lines.contains(line)) lines << line;
    }
    lines.sort();
    lines << QCoreApplication::translate("Help", "Del\tDelete the selected runs (history)")
          << QCoreApplication::translate("Help", "F2\tRename the selected run (history)")
          << QCoreApplication::translate("Help",
                                         "Double-click a run\tLoad its settings into the form")
          << QCoreApplication::translate("Help",
                                         "Double-click a plot\tFit it and follow new points")
          << QCoreApplication::translate("Help", "Mouse wheel on a plot\tZoom; drag to pan");
    return lines.join(QLatin1Char('\n'));
}

QString aboutText(const QString& environmentJson) {
    const auto env = nlohmann::json::parse(environmentJson.toStdString(), nullptr, false);
    auto field = [&env](const char* key) -> QString {
        if (!env.is_object() || !env.contains(key)) return QStringLiteral("?");
        const auto& v = env[key];
        return v.is_string() ? QString::fromStdString(v.get<std::string>())
                             : QString::fromStdString(v.dump());
    };
    QString gpu;
    if (env.is_object() && env.value("cuda_available", false))
        gpu = QCoreApplication::translate("Help", "CUDA, %1 device(s)").arg(field("cuda_devices"));
    else if (env.is_object() && env.value("cuda_built", false))
        gpu =
            QCoreApplication::translate("Help", "none usable (LibTorch has CUDA, no device found)");
    else
        gpu =
            QCoreApplication::translate("Help", "none (this LibTorch was built for the CPU only)");
    const QString version = QCoreApplication::applicationVersion();
    const QString cpu = cpuModel();
    return QCoreApplication::translate(
               "Help",
               "<b>GenAI Training Workbench</b> %1<br>Configure, train, watch and compare "
               "generative models. Every field explains what it does and what it costs: click it "
               "and read the box below the form.<br><br>"
               "<table><tr><td>Qt</td><td>%2</td></tr><tr><td>LibTorch</td><td>%3</td></tr>"
               "<tr><td>CPU</td><td>%4%5 cores</td></tr><tr><td>GPU</td><td>%6</td></tr>"
               "<tr><td>Build</td><td>%7</td></tr></table>")
        .arg(version.isEmpty() ? QStringLiteral("(development build)") : version,
             QString::fromLatin1(qVersion()), field("libtorch").toHtmlEscaped(),
             cpu.isEmpty() ? QString() : cpu.toHtmlEscaped() + QStringLiteral(", "),
             field("cpu_cores"), gpu.toHtmlEscaped(), field("build").toHtmlEscaped());
}

void showShortcuts(QWidget* window) {
    QString rows;
    for (const QString& line : shortcutsText(window).split(QLatin1Char('\n'))) {
        const auto parts = line.split(QLatin1Char('\t'));
        rows += QStringLiteral("<tr><td><b>%1</b>&nbsp;&nbsp;</td><td>%2</td></tr>")
                    .arg(parts.value(0).toHtmlEscaped(), parts.value(1).toHtmlEscaped());
    }
    auto* box = new QMessageBox(
        QMessageBox::NoIcon, QCoreApplication::translate("Help", "Keyboard shortcuts"),
        QStringLiteral("<table>%1</table>").arg(rows), QMessageBox::Close, window);
    box->setObjectName(QStringLiteral("shortcutsBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void showAbout(QWidget* window, const QString& environmentJson) {
    auto* box =
        new QMessageBox(QMessageBox::Information,
                        QCoreApplication::translate("Help", "About GenAI Training Workbench"),
                        aboutText(environmentJson), QMessageBox::Close, window);
    box->setObjectName(QStringLiteral("aboutBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

}  // namespace wb::ui
