#include "ui/sample_text.h"

namespace wb::ui {
namespace {

QString escaped(unsigned char byte) {
    return QStringLiteral("\\x") +
           QString::number(byte, 16).rightJustified(2, QLatin1Char('0')).toUpper();
}

// Length of the valid UTF-8 sequence at `i`, or 0 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF).
int sequenceLength(const QByteArray& b, qsizetype i) {
    const auto at = [&b](qsizetype k) { return static_cast<unsigned char>(b[k]); };
    const unsigned char lead = at(i);
    int len = 0;
    unsigned char low = 0x80, high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
        len = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        len = 3;
        if (lead == 0xe0) low = 0xa0;
        if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        len = 4;
        if (lead == 0xf0) low = 0x90;
        if (lead == 0xf4) high = 0x8f;
    } else {
        return 0;
    }
    if (i + len > b.size()) return 0;
    if (at(i + 1) < low || at(i + 1) > high) return 0;
    for (int k = 2; k < len; ++k)
        if (at(i + k) < 0x80 || at(i + k) > 0xbf) return 0;
    return len;
}

}  // namespace

QString displayText(const QByteArray& bytes) {
    QString out;
    out.reserve(bytes.size());
    for (qsizetype i = 0; i < bytes.size();) {
        const auto byte = static_cast<unsigned char>(bytes[i]);
        if (byte < 0x80) {
            const bool shown = byte == '\n' || byte == '\t' || (byte >= 0x20 && byte != 0x7f);
            out += shown ? QString(QLatin1Char(static_cast<char>(byte))) : escaped(byte);
            ++i;
            continue;
        }
        const int len = sequenceLength(bytes, i);
        if (len == 0) {
            out += escaped(byte);
            ++i;
        } else {
            out += QString::fromUtf8(bytes.constData() + i, len);
            i += len;
        }
    }
    return out;
}

}  // namespace wb::ui
