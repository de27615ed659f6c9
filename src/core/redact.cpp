#include "redact.hpp"

#include "ascii_case.hpp"
#include "percent_encoding.hpp"

#include <algorithm>
#include <vector>

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

// A URL's user name and password ("scheme://user:password@host"), up to the last '@' before
// the URL ends (a space, a quote, an angle bracket, ',', ';' or ')'): a password that holds '/'
// or '#' without percent-encoding is no valid URL, and libcurl quotes such a one whole (its
// error for a malformed proxy URL in the server's environment,
// https_proxy=http://user:pa#ss@proxy:3128). Only what holds a ':' (user:password) and no other
// "://" is masked: "https://host/x?next=https://other@evil" is no password.
void mask_url_userinfo(std::string &text) {
    constexpr std::string_view kSchemeEnd = "://";
    const auto ends_url = [](char c) {
        return is_ascii_space(c) || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`' ||
               c == ',' || c == ';' || c == ')';
    };
    for (std::size_t pos = 0; (pos = text.find(kSchemeEnd, pos)) != std::string::npos;) {
        const std::size_t start = pos + kSchemeEnd.size();
        std::size_t end = start;
        while (end < text.size() && !ends_url(text[end]))
            ++end;
        const std::size_t at = end > start ? text.rfind('@', end - 1) : std::string::npos;
        if (at != std::string::npos && at > start) {
            const std::string_view userinfo(text.data() + start, at - start);
            if (userinfo.find(':') != std::string_view::npos &&
                userinfo.find(kSchemeEnd) == std::string_view::npos) {
                text.replace(start, at - start, kMask);
                end = start + kMask.size() + (end - at);
            }
        }
        pos = end;
    }
}

// A server may echo the token changed: in another letter case, or a piece of it (13 of 17
// characters in a reviewer's test), and a quote of the server's bytes cut short (the decoders'
// "Text at that offset: ...", jsonb's context line) may hold only part of it. Masks every run of
// kMinRun or more bytes that equals a run of the secret's in any ASCII letter case, wherever it
// is. Shorter runs are left, even next to a cut mark or a quote: the text around them may be
// the user's own (a literal in a URL that EXPLAIN shows, or that an error body echoes), and
// masking 4 bytes there would tell the user, by trying pieces, the token of a mapping they
// cannot read (helper-79). A run of 8 is one guess in 62^8. Error texts are short, so the
// quadratic search costs nothing that matters.
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

// The secret as sent, percent-encoded (in a URL) and escaped (in a quote of the server's bytes).
std::vector<std::string> secret_forms(std::string_view secret) {
    std::vector<std::string> forms{std::string(secret)};
    for (std::string form : {percent_encode(secret), quoted_form(secret)})
        if (std::find(forms.begin(), forms.end(), form) == forms.end())
            forms.push_back(std::move(form));
    return forms;
}

std::string redact_with(std::string_view text, std::string_view secret, bool pieces) {
    std::string out(text);
    const std::vector<std::string> forms = secret_forms(secret);
    for (const std::string &form : forms)
        replace_all(out, form);
    if (pieces)
        for (const std::string &form : forms)
            mask_long_runs(out, form);
    mask_url_userinfo(out);
    mask_values_after(out, "app_token=");
    mask_values_after(out, "x-app-token:");
    return out;
}

} // namespace

std::string redact(std::string_view text, std::string_view secret) {
    return redact_with(text, secret, true);
}

std::string redact_whole(std::string_view text, std::string_view secret) {
    return redact_with(text, secret, false);
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
