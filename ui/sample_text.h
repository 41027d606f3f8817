// Text samples for display: the language model's vocabulary is bytes, so a sample may cut a
// UTF-8 character in half or hold control bytes. Those become visible escapes instead of "�".
#pragma once

#include <QByteArray>
#include <QString>

namespace wb::ui {

/// Valid UTF-8 decoded as is (line breaks and tabs kept); every byte that is not part of a valid
/// character, and every other control byte, as "\xNN".
QString displayText(const QByteArray& bytes);

}  // namespace wb::ui
