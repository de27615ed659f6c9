#include "redact.hpp"

#include "ascii_case.hpp"
#include "percent_encoding.hpp"

#include <cctype>

namespace socrata {

namespace {

constexpr std::string_view kMask = "***";

void replace_all(std::string &text, std::string_view needle) {
    if (needle.empty())
        return;
    std::size_t pos = 0;
    while ((pos = text.find(needle, pos)) != std::string::npos) {
        text.replace(pos, needle.size(), kMask);
        pos += kMask.size();
    }
}

bool ends_value(char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '&' || c == '#' || c == '"' ||
           c == '\'' || c == '<' || c == '>' || c == ',' || c == ';' || c == ')';
}

// Masks the value following each `key` (lowercase) in `text`.
void mask_values_after(std::string &text, std::string_view key) {
    std::size_t pos = 0;
    while ((pos = find_ignoring_case(text, key, pos)) != std::string::npos) {
        std::size_t start = pos + key.size();
        while (start < text.size() && (text[start] == ' ' || text[start] == '\t'))
            ++start;
        std::size_t end = start;
        while (end < text.size() && !ends_value(text[end]))
            ++end;
        if (end > start && text.compare(start, end - start, kMask) != 0)
            text.replace(start, end - start, kMask);
        pos = start + kMask.size();
    }
}

} // namespace

std::string redact(std::string_view text, std::string_view secret) {
    std::string out(text);
    replace_all(out, secret);
    const std::string encoded = percent_encode(secret);
    if (encoded != secret)
        replace_all(out, encoded);
    mask_values_after(out, "app_token=");
    mask_values_after(out, "x-app-token:");
    return out;
}

Error redacted(const Error &error, std::string_view secret) {
    std::string what = redact(error.what(), secret);
    std::string detail = redact(error.detail(), secret);
    std::string hint = redact(error.hint(), secret);
    if (error.kind() == ErrorKind::Http)
        return Error::http(error.http_status(), what, std::move(detail), std::move(hint));
    return Error(error.kind(), what, std::move(detail), std::move(hint));
}

} // namespace socrata
