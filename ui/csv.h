// CSV for the compare view's table exports: RFC 4180 quoting, and writing the file atomically
// with an error message that names the file and the cause.
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace wb::ui {

QString toCsv(const QList<QStringList>& rows);
/// False, with a message naming the file and the cause, when it cannot be written.
bool writeTextFile(const QString& path, const QString& text, QString* error);

}  // namespace wb::ui
