// Letter case and character classes in protocol text (header names, HTML tags, URLs, option
// values, SoQL keywords, field names): ASCII only, whatever the locale. <cctype> follows the
// backend's LC_CTYPE, the database's: in a single-byte locale it takes the bytes of other
// characters for letters (LATIN1's 0xC9) and folds them, and in a Turkish one it folds 'I' to a
// dotless i, so a header or keyword with an 'I' in it would no longer match.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace socrata {

constexpr bool is_ascii_letter(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_ascii_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
constexpr bool is_ascii_hex_digit(char c) noexcept {
    return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr bool is_ascii_alnum(char c) noexcept {
    return is_ascii_letter(c) || is_ascii_digit(c);
}
// Space, tab, line feed, vertical tab, form feed, carriage return: isspace in the C locale.
constexpr bool is_ascii_space(char c) noexcept {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// `text` with its ASCII capitals in lower case; every other byte as it was.
std::string ascii_lowercase(std::string_view text);

// Whether `a` and `b` differ at most in the case of ASCII letters.
bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept;

// Where `lowercase_needle` first occurs in `text` at or after `from`, in any letter case of
// `text`; npos if nowhere. The needle must be given in lower case.
std::size_t find_ignoring_case(std::string_view text, std::string_view lowercase_needle,
                               std::size_t from = 0) noexcept;

} // namespace socrata
