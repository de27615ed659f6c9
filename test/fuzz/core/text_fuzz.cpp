// libFuzzer harness: text helpers that handle untrusted bytes and secrets
// (src/core/percent_encoding.*, redact.*, text_snippet.*).
//
// Input: byte 0 picks the target, the rest is the text (for redact: a secret, then the text,
// with the secret or a piece of it spliced in at a chosen place). Checks the promises of the
// headers' comments:
//  - percent_encode: only unreserved characters and %XX (upper-case hex); its size is
//    percent_encoded_size(); decoding it gives the value back;
//  - redact(text, secret), for secrets of ASCII letters and digits (what app tokens are): the
//    secret does not occur in the result; for a secret of 8 or more, no 8 bytes in a row of it
//    (any letter case) do; text holding neither nor the patterns comes back unchanged (no
//    oracle for shorter pieces); the value after every "app_token=" / "X-App-Token:" is
//    masked; redact_whole() masks the secret and changes nothing else without the patterns;
//  - printable_snippet / printable_text: valid UTF-8, no control characters, the quoted form
//    in quotes with no unescaped '"' inside; utf8_prefix_length and utf8_character_length stay
//    in bounds and on character boundaries.
#include "fuzz_support.hpp"

#include "ascii_case.hpp"
#include "percent_encoding.hpp"
#include "redact.hpp"
#include "text_snippet.hpp"

using namespace socrata;

namespace {

bool is_unreserved(char c) {
    return is_ascii_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int hex(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void percent(std::string_view v) {
    const std::string e = percent_encode(v);
    FUZZ_CHECK(e.size() == percent_encoded_size(v), "percent_encoded_size differs");
    std::string back;
    for (std::size_t i = 0; i < e.size(); ++i) {
        if (e[i] == '%') {
            FUZZ_CHECK(i + 2 < e.size(), "truncated %XX");
            const int hi = hex(e[i + 1]), lo = hex(e[i + 2]);
            FUZZ_CHECK(hi >= 0 && lo >= 0, "bad %XX in " + e);
            const char c = char(hi * 16 + lo);
            FUZZ_CHECK(!is_unreserved(c), "an unreserved character was encoded");
            back += c;
            i += 2;
        } else {
            FUZZ_CHECK(is_unreserved(e[i]), "a reserved character left unencoded: " + e);
            back += e[i];
        }
    }
    FUZZ_CHECK(back == v, "percent-encoding does not decode back");
    std::string appended = "x=";
    append_percent_encoded(appended, v);
    FUZZ_CHECK(appended == "x=" + e, "append_percent_encoded differs");
}

bool ends_value(char c) {
    return is_ascii_space(c) || c == '&' || c == '#' || c == '"' || c == '\'' || c == '<' ||
           c == '>' || c == ',' || c == ';' || c == ')';
}

void check_value_masked(const std::string &out, std::string_view key) {
    for (std::size_t p = find_ignoring_case(out, key); p != std::string::npos;
         p = find_ignoring_case(out, key, p + 1)) {
        std::size_t s = p + key.size();
        while (s < out.size() && (out[s] == ' ' || out[s] == '\t'))
            ++s;
        std::size_t e = s;
        while (e < out.size() && !ends_value(out[e]))
            ++e;
        const std::string_view value(out.data() + s, e - s);
        FUZZ_CHECK(value.empty() || value == "***" ||
                       // the value is itself a masked key=value ("***" then more)
                       value.substr(0, 3) == "***",
                   "value after " + std::string(key) + " not masked: " + out);
    }
}

void redaction(fuzz::Input &in) {
    static const char kAlnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string secret;
    const std::size_t len = 1 + in.byte() % 30;
    for (char c : in.take(len))
        secret += kAlnum[static_cast<unsigned char>(c) % 62];
    if (secret.empty())
        return; // the input ended first
    const std::uint8_t how = in.byte();
    const std::uint8_t where = in.byte();
    std::string text(in.rest());
    // Splice in the secret or a piece of it, the way servers echo and messages cut it.
    std::string piece;
    switch (how % 8) {
    case 0:
        piece = secret;
        break;
    case 1:
        piece = secret.substr(0, secret.size() / 2 + 1) + "...";
        break;
    case 2:
        piece = "\"" + secret.substr(secret.size() / 3);
        break;
    case 3:
        piece = "..." + secret.substr(1);
        break;
    case 4:
        piece = ascii_lowercase(secret);
        break;
    case 5:
        piece = "app_token=" + secret;
        break;
    case 6:
        piece = "X-App-Token: " + secret.substr(how % secret.size());
        break;
    case 7:
        break;
    }
    text.insert(text.empty() ? 0 : where % (text.size() + 1), piece);

    const std::string out = redact(text, secret);
    FUZZ_CHECK(out.find(secret) == std::string::npos, "secret left in: " + out);
    if (secret.size() >= 8) {
        for (std::size_t j = 0; j + 8 <= secret.size(); ++j)
            FUZZ_CHECK(find_ignoring_case(out, ascii_lowercase(secret.substr(j, 8))) ==
                           std::string::npos,
                       "8-byte run of the secret left in: " + out + " (secret " + secret + ")");
    }
    // No oracle: text with no whole secret, no 8 bytes in a row of it and none of the patterns
    // comes back as it was (a piece next to a cut mark included); redact_whole() leaves all but
    // whole secrets and the patterns.
    const std::string lower = ascii_lowercase(text);
    const bool patterns = lower.find("app_token=") != std::string::npos ||
                          lower.find("x-app-token:") != std::string::npos ||
                          text.find("://") != std::string::npos;
    bool has_run = text.find(secret) != std::string::npos;
    for (std::size_t j = 0; !has_run && secret.size() >= 8 && j + 8 <= secret.size(); ++j)
        has_run =
            find_ignoring_case(text, ascii_lowercase(secret.substr(j, 8))) != std::string::npos;
    if (!patterns && !has_run)
        FUZZ_CHECK(out == text, "changed text holding no run of the secret: " + out + " (secret " +
                                    secret + ")");
    const std::string whole = redact_whole(text, secret);
    FUZZ_CHECK(whole.find(secret) == std::string::npos, "redact_whole left the secret: " + whole);
    if (!patterns && text.find(secret) == std::string::npos)
        FUZZ_CHECK(whole == text, "redact_whole changed text without the secret: " + whole);
    check_value_masked(out, "app_token=");
    check_value_masked(out, "x-app-token:");
    // And through an Error (whose what() is a C string: it ends at a NUL).
    const Error e = redacted(Error::http(429, text, text, text), secret);
    FUZZ_CHECK(e.http_status() == 429 && e.detail() == out &&
                   (text.find('\0') != std::string::npos || std::string(e.what()) == out),
               "redacted() differs from redact()");
}

void printable(fuzz::Input &in) {
    const std::size_t max = in.byte();
    const std::string_view t = in.rest();
    const std::size_t n = utf8_prefix_length(t, max);
    FUZZ_CHECK(n <= t.size() && (t.size() <= max ? n == t.size() : n <= max), "prefix length");
    if (n < t.size())
        FUZZ_CHECK((static_cast<unsigned char>(t[n]) & 0xC0) != 0x80 || n == 0,
                   "prefix cut inside a character");
    if (!t.empty()) {
        const std::size_t c = utf8_character_length(t);
        FUZZ_CHECK(c >= 1 && c <= 4 && c <= t.size(), "character length");
        const std::string esc = escaped_character(t.substr(0, c));
        FUZZ_CHECK(!esc.empty() && esc[0] == '\\', "escaped_character");
    }
    for (bool quoted : {true, false}) {
        const std::string s = quoted ? printable_snippet(t, max) : printable_text(t, max);
        FUZZ_CHECK(fuzz::valid_utf8(s), "printable output is not valid UTF-8");
        for (char c : s)
            FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F,
                       "control character in printable output");
        FUZZ_CHECK(s.size() <= 4 * max + 5, "printable output too long");
        if (quoted) {
            FUZZ_CHECK(s.size() >= 2 && s.front() == '"' && s.back() == '"', "not quoted: " + s);
            for (std::size_t i = 1; i + 1 < s.size(); ++i) {
                if (s[i] == '\\') {
                    ++i;
                    continue;
                }
                FUZZ_CHECK(s[i] != '"', "unescaped quote inside: " + s);
            }
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t which = in.byte();
    switch (which % 3) {
    case 0:
        percent(in.rest());
        break;
    case 1:
        redaction(in);
        break;
    case 2:
        printable(in);
        break;
    }
    return 0;
}
