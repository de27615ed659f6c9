// The one exception type thrown by the core. The Postgres layer catches it and turns `kind` into
// a SQLSTATE, `what()` into the primary message and detail/hint into errdetail/errhint, so every
// thrower must say what failed and where (field, row, byte offset, redacted URL).
#pragma once

#include <stdexcept>
#include <string>

namespace socrata {

enum class ErrorKind {
    UnknownOption,  // an option name the wrapper does not take where it was given
    MissingOption,  // an option the wrapper needs was not given
    InvalidOption,  // a user-supplied option value or identifier is unusable
    BadResponse,    // the server sent a body we cannot decode (malformed, truncated, error object)
    Http,           // the server answered with a non-success HTTP status
    Network,        // transport failure: DNS, connect, TLS, reset, timeout, stall
    Cancelled,      // the caller asked us to stop (query cancel, statement timeout)
    Conversion,     // a well-formed value cannot be represented as requested
    Untranslatable, // a character one side cannot hold: \u0000 in PostgreSQL text, or bytes that
                    // are not UTF-8 in what is sent to the portal
    Protocol,       // the portal broke a contract we rely on (paging, row identifiers, size)
    Internal,       // the wrapper broke its own contract: a bug, never the user's or portal's fault
};

// The words of a truncated response body's errors, whichever decoder or check finds it.
inline constexpr const char *kCutShortHint =
    "The connection may have been cut short; retrying the query may help.";
inline constexpr const char *kBodyEndNotMarked =
    "The response did not mark where its body ends (no Content-Length, no chunked encoding).";

// Stable lowercase name of a kind, for logs and tests.
const char *to_string(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, const std::string &what, std::string detail = {}, std::string hint = {})
        : std::runtime_error(what), kind_(kind), detail_(std::move(detail)),
          hint_(std::move(hint)) {}

    // An Http error also remembers the status so the caller can branch on 401 vs 404 etc.
    static Error http(int status, const std::string &what, std::string detail = {},
                      std::string hint = {}) {
        Error e(ErrorKind::Http, what, std::move(detail), std::move(hint));
        e.http_status_ = status;
        return e;
    }

    // A Network error that the same request would meet again (a certificate that does not
    // verify, a scheme libcurl does not speak): not worth retrying.
    static Error lasting_network(const std::string &what, std::string detail = {},
                                 std::string hint = {}) {
        Error e(ErrorKind::Network, what, std::move(detail), std::move(hint));
        e.lasting_ = true;
        return e;
    }

    ErrorKind kind() const noexcept { return kind_; }
    const std::string &detail() const noexcept { return detail_; }
    const std::string &hint() const noexcept { return hint_; }
    int http_status() const noexcept { return http_status_; } // 0 unless kind() == Http
    bool lasting() const noexcept { return lasting_; }

  private:
    ErrorKind kind_;
    std::string detail_;
    std::string hint_;
    int http_status_ = 0;
    bool lasting_ = false;
};

} // namespace socrata
