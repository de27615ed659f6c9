#include "text_snippet.hpp"

#include "utf8_validator.hpp"

#include <cstdint>

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

constexpr char kHex[] = "0123456789ABCDEF";

// "\xNN", how a byte that is no printable character is quoted.
void append_hex_escape(std::string &out, unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
}

} // namespace

std::size_t utf8_character_length(std::string_view text) noexcept {
    Utf8Validator v;
    std::size_t n = 0;
    while (n < text.size() && v.push(static_cast<unsigned char>(text[n]))) {
        ++n;
        if (!v.in_sequence())
            return n;
    }
    return 1;
}

std::string escaped_character(std::string_view character) {
    const auto lead = static_cast<unsigned char>(character.empty() ? 0 : character[0]);
    std::string out;
    if (character.size() <= 1) {
        append_hex_escape(out, lead);
        return out;
    }
    // The lead byte keeps 7 - size bits of the code point; each continuation byte 6 more.
    std::uint32_t code = lead & (0x7Fu >> character.size());
    for (std::size_t i = 1; i < character.size(); ++i)
        code = (code << 6) | (static_cast<unsigned char>(character[i]) & 0x3Fu);
    const int digits = code > 0xFFFF ? 8 : 4;
    out = code > 0xFFFF ? "\\U" : "\\u";
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
        out += kHex[(code >> shift) & 0xF];
    return out;
}

namespace {

// The body of printable_snippet() and printable_text(): `quoted` adds the double quotes and
// escapes '"' and '\\' so the quoted text cannot end early.
std::string printable(std::string_view text, std::size_t max_bytes, bool quoted) {
    const std::size_t n = utf8_prefix_length(text, max_bytes);
    std::string out = quoted ? "\"" : "";
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            // Copy a whole sequence if it is valid UTF-8, else escape the lead byte.
            const std::size_t length = utf8_character_length(text.substr(i, n - i));
            if (length > 1) {
                out.append(text.data() + i, length);
                i += length;
                continue;
            }
        }
        if (quoted && (c == '"' || c == '\\')) {
            out += '\\';
            out += char(c);
        } else if (c < 0x20 || c == 0x7F || c >= 0x80) {
            append_hex_escape(out, c);
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

std::string printable_snippet(std::string_view text, std::size_t max_bytes) {
    return printable(text, max_bytes, true);
}

std::string printable_text(std::string_view text, std::size_t max_bytes) {
    return printable(text, max_bytes, false);
}

} // namespace socrata
