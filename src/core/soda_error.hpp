// Turns what Socrata sends with a failed request into a message a user can act on. Real shapes:
//   {"code":"query.compiler.malformed","error":true,"message":"...","data":{"query":"..."}}
//   {"message":"You must be logged in to access this resource","error":true}
// and, from proxies and load balancers in front of the API, plain text or HTML.
#pragma once

#include "error.hpp"

#include <string>
#include <string_view>

namespace socrata {

struct SodaError {
    std::string code;    // e.g. "query.compiler.malformed"; empty if the body had none
    std::string message; // never empty: falls back to the body text or "(empty body)"
};

// Never throws on bad input: an unparseable body is itself the message (truncated to about
// 200 bytes, HTML tags stripped, whitespace collapsed, control characters removed).
SodaError parse_soda_error(std::string_view body);

// The Error for a non-success HTTP status, with the server's message, the URL and a hint suited
// to the status (token for 401/403/429, dataset id for 404, ...). For a redirect, `location` is
// the address it points to (Location header), named in the message. The URL, the body's message
// and the redirect target are quoted by their start when long, so the caller passes all three
// redacted (a token a cut splits would no longer be recognised), as SodaClient does.
Error error_for_http_status(int status, std::string_view body, std::string_view url,
                            std::string_view location = {});

} // namespace socrata
