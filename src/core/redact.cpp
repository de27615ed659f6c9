#include "redact.hpp"

#include "ascii_case.hpp"
#include "percent_encoding.hpp"

#include <algorithm>
#include <vector>

namespace socrata {

namespace {

constexpr std::string_view kMask = "***";
// How printable_snippet marks a quote it cut.
constexpr std::string_view kCutMark = "...";

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
    return is_ascii_space(c) || c == '&' || c == '#' || c == '"' || c == '\'' || c == '<' ||
           c == '>' || c == ',' || c == ';' || c == ')';
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
        if (end > start && text.compare(start, end - start, kMask) != 0) {
            text.replace(start, end - start, kMask);
            end = start + kMask.size();
        }
        pos = end; // after an empty value, the next key may start right here
    }
}

// A quote of the server's bytes cut inside the secret (printable_snippet marks a cut with "...")
// shows only the secret's first bytes, which replace_all cannot recognise. Masks a prefix of the
// secret of kMinCutPrefix or more bytes right before a cut mark; fewer give too little away to
// be worth masking what may be ordinary text.
void mask_cut_prefixes(std::string &text, std::string_view secret) {
    constexpr std::size_t kMinCutPrefix = 4;
    std::size_t pos = 0;
    while ((pos = text.find(kCutMark, pos)) != std::string::npos) {
        for (std::size_t n = std::min(secret.size(), pos); n >= kMinCutPrefix; --n) {
            if (text.compare(pos - n, n, secret.substr(0, n)) == 0) {
                text.replace(pos - n, n, kMask);
                pos = pos - n + kMask.size();
                break;
            }
        }
        pos += kCutMark.size();
    }
}

// At `start`, the longest fragment of `secret` of kMinFragment or more bytes that is either its
// whole tail or runs up to a cut mark, masked.
void mask_fragment_at(std::string &text, std::size_t start, std::string_view secret) {
    constexpr std::size_t kMinFragment = 4;
    for (std::size_t from = 1; from + kMinFragment <= secret.size(); ++from) {
        const std::string_view tail = secret.substr(from);
        std::size_t n = 0;
        while (n < tail.size() && start + n < text.size() && text[start + n] == tail[n])
            ++n;
        const bool whole_tail = n == tail.size();
        const bool cut = text.compare(start + n, kCutMark.size(), kCutMark) == 0;
        if (n >= kMinFragment && (whole_tail || cut)) {
            text.replace(start, n, kMask);
            return;
        }
    }
}

// mask_cut_prefixes at the other end: a quote that starts inside the secret (the JSON decoder
// quotes the body from a bad offset, which may fall in a token the server echoed) opens with the
// secret's last bytes, or, cut again, with bytes from its middle. Masks such a fragment
// (mask_fragment_at) right after each opening '"' or "..." (jsonb's context line, "JSON data,
// line 1: ...", starts its quote with a cut mark).
void mask_quoted_fragments(std::string &text, std::string_view secret) {
    for (std::size_t pos = 0; (pos = text.find('"', pos)) != std::string::npos; ++pos)
        mask_fragment_at(text, pos + 1, secret);
    for (std::size_t pos = 0; (pos = text.find(kCutMark, pos)) != std::string::npos; ++pos)
        mask_fragment_at(text, pos + kCutMark.size(), secret);
}

// A server may echo the token changed: in another letter case, or a piece of it (13 of 17
// characters in a reviewer's test). Masks every run of kMinRun or more bytes that equals a run of
// the secret's in any ASCII letter case. Shorter runs are left: a token's random characters
// share a few with ordinary words, not eight in a row. Error texts are short, so the quadratic
// search costs nothing that matters.
void mask_long_runs(std::string &text, std::string_view secret) {
    constexpr std::size_t kMinRun = 8;
    if (secret.size() < kMinRun)
        return;
    std::size_t i = 0;
    while (i + kMinRun <= text.size()) {
        std::size_t longest = 0;
        for (std::size_t j = 0; j + kMinRun <= secret.size(); ++j) {
            std::size_t n = 0;
            while (i + n < text.size() && j + n < secret.size() &&
                   ascii_lower(text[i + n]) == ascii_lower(secret[j + n]))
                ++n;
            longest = std::max(longest, n);
        }
        if (longest >= kMinRun) {
            text.replace(i, longest, kMask);
            i += kMask.size();
        } else {
            ++i;
        }
    }
}

// The secret as printable_snippet quotes it: '"' and '\\' escaped (other bytes of a token are
// visible ASCII, which it leaves alone).
std::string quoted_form(std::string_view secret) {
    std::string out;
    for (char c : secret) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out;
}

} // namespace

std::string redact(std::string_view text, std::string_view secret) {
    std::string out(text);
    // As sent, percent-encoded (in a URL) and escaped (in a quote of the server's bytes).
    std::vector<std::string> forms{std::string(secret)};
    for (std::string form : {percent_encode(secret), quoted_form(secret)})
        if (std::find(forms.begin(), forms.end(), form) == forms.end())
            forms.push_back(std::move(form));
    for (const std::string &form : forms)
        replace_all(out, form);
    for (const std::string &form : forms)
        mask_cut_prefixes(out, form);
    for (const std::string &form : forms)
        mask_quoted_fragments(out, form);
    for (const std::string &form : forms)
        mask_long_runs(out, form);
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
