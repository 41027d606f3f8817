#include "ui/config_messages.h"

#include <QRegularExpression>

#include "engine/api/schema.h"

namespace wb::ui {

QString fieldTitle(const std::string& path) {
    const api::FieldSpec* f = api::find_field(path);
    return f ? QStringLiteral("“%1”").arg(QString::fromStdString(f->label))
             : QString::fromStdString(path);
}

QString readableMessage(const std::string& message) {
    // A key is a dotted lower-case word ("train.batch_size") or one of the few top-level keys;
    // file names such as "ckpt-10.pt" never match a schema field and stay as they are.
    static const QRegularExpression key(
        QStringLiteral(R"((?<![\w./-])([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)?)(=([^\s,;)]+))?)"));
    const QString text = QString::fromStdString(message);
    QString out;
    qsizetype last = 0;
    for (auto it = key.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        const api::FieldSpec* f = api::find_field(m.captured(1).toStdString());
        // Top-level keys ("device") are also ordinary words; only dotted ones, or any key
        // followed by "=value", are certainly keys.
        if (!f || (!m.captured(1).contains(QLatin1Char('.')) && m.captured(2).isEmpty())) continue;
        out += text.mid(last, m.capturedStart() - last);
        out += fieldTitle(f->path);
        qsizetype end = m.capturedEnd();
        if (!m.captured(2).isEmpty()) {
            // A sentence may end right after the value: its full stop is not part of it.
            QString value = m.captured(3);
            if (value.size() > 1 && value.endsWith(QLatin1Char('.'))) {
                value.chop(1);
                --end;
            }
            out += QStringLiteral(" = ") + value;
        }
        last = end;
    }
    return out + text.mid(last);
}

}  // namespace wb::ui
