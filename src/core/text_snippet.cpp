#include "text_snippet.hpp"

#include "utf8_validator.hpp"

namespace socrata {

std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes) noexcept {
    if (text.size() <= max_bytes)
        return text.size();
    std::size_t n = max_bytes;
    // Back up over continuation bytes so the cut lands on a character boundary.
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80)
        --n;
    return n;
}

namespace {

// The body of printable_snippet() and printable_text(): `quoted` adds the double quotes and
// escapes '"' and '\\' so the quoted text cannot end early.
std::string printable(std::string_view text, std::size_t max_bytes, bool ascii_only, bool quoted) {
    static const char kHex[] = "0123456789ABCDEF";
    const std::size_t n = utf8_prefix_length(text, max_bytes);
    std::string out = quoted ? "\"" : "";
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80 && !ascii_only) {
            // Copy a whole sequence if it is valid UTF-8, else escape the lead byte.
            Utf8Validator v;
            std::size_t j = i;
            bool ok = v.push(c);
            ++j;
            while (ok && v.in_sequence() && j < n)
                ok = v.push(static_cast<unsigned char>(text[j++]));
            if (ok && !v.in_sequence()) {
                out.append(text.data() + i, j - i);
                i = j;
                continue;
            }
        }
        if (quoted && (c == '"' || c == '\\')) {
            out += '\\';
            out += char(c);
        } else if (c < 0x20 || c == 0x7F || c >= 0x80) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        } else {
            out += char(c);
        }
        ++i;
    }
    if (n < text.size())
        out += "...";
    if (quoted)
        out += '"';
    return out;
}

} // namespace

std::string printable_snippet(std::string_view text, std::size_t max_bytes, bool ascii_only) {
    return printable(text, max_bytes, ascii_only, true);
}

std::string printable_text(std::string_view text, std::size_t max_bytes, bool ascii_only) {
    return printable(text, max_bytes, ascii_only, false);
}

} // namespace socrata
