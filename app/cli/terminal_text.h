// Text the CLI prints that came from users or files (run names, notes, logs, paths): made safe
// for a terminal and for JSON parsers, whatever bytes the database holds.
#pragma once

#include <cstdio>
#include <exception>
#include <string>

#include <nlohmann/json.hpp>

namespace wb::cli {

/// Control characters (an escape sequence can recolour, retitle or rewrite the terminal) become
/// \xNN; C1 controls in UTF-8 (U+0080..U+009F) too. Newlines and tabs stay when `multiline`.
inline std::string printable(const std::string& text, bool multiline = false) {
    std::string out;
    out.reserve(text.size());
    char hex[8];
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool c1 = c == 0xc2 && i + 1 < text.size() &&
                        static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                        static_cast<unsigned char>(text[i + 1]) <= 0x9f;
        if (multiline && (c == '\n' || c == '\t')) {
            out.push_back(static_cast<char>(c));
        } else if (c < 0x20 || c == 0x7f) {
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else if (c1) {
            std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned char>(text[++i]));
            out += hex;
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    return out;
}

/// JSON text that is always valid UTF-8: bytes that are not (a name stored by another tool)
/// become U+FFFD instead of failing the whole output.
inline std::string json_text(const nlohmann::json& j, int indent = -1) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// An exception's message without the C++ call stack LibTorch appends to its errors
/// ("Exception raised from ... (most recent call first):" and "frame #N: ..." lines): a user
/// needs the cause, not the internals. Made printable too.
inline std::string error_text(const std::exception& e) {
    std::string text = e.what();
    for (const char* marker : {"\nException raised from ", "\nframe #0: "})
        if (const auto at = text.find(marker); at != std::string::npos) text.erase(at);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return printable(text, true);
}

}  // namespace wb::cli
