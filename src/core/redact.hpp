// Keeping the app token out of every message, log line and EXPLAIN output. URLs and headers
// pass through redact() before they are put into any text a user or log can see.
#pragma once

#include "error.hpp"

#include <string>
#include <string_view>

namespace socrata {

// Replaces every occurrence of `secret` (raw, percent-encoded, and with '"' and '\\' escaped as
// printable_snippet quotes them) with "***", and also the value after "app_token=" (covers
// "$$app_token=" and "%24%24app_token=") and after "X-App-Token:" (any letter case), even when
// the secret is not given. Any 8 or more bytes in a row of a secret of 8 or more, in any ASCII
// letter case, are masked as well: a server that echoes the token changed, or a quote cut inside
// it (so callers may cut before they redact; up to 7 bytes of the token may stay at a cut).
std::string redact(std::string_view text, std::string_view secret = {});

// The same without the pieces: only whole occurrences of the secret (and the patterns). For
// text the wrapper builds from the user's own values (a request URL, shown by EXPLAIN), where
// masking pieces would let the user test guesses at the token without a request; such text
// holds the token only where the user wrote it.
std::string redact_whole(std::string_view text, std::string_view secret = {});

// The same error (kind and HTTP status kept) with its message, detail and hint redacted.
Error redacted(const Error &error, std::string_view secret);

// Runs f(); an Error it throws leaves redacted. For code that quotes what a server sent (an
// error body, bytes near a decoding error): a proxy or a server may echo the token's header.
template <typename F> decltype(auto) redacting_errors(std::string_view secret, F &&f) {
    try {
        return f();
    } catch (const Error &error) {
        throw redacted(error, secret);
    }
}

} // namespace socrata
