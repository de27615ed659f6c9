// Parsing HTTP-date (RFC 9110 section 5.6.7), needed for the date form of Retry-After.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace socrata {

// Accepts the three forms servers send: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT",
// RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994".
// Returns nullopt for anything else (including invalid dates such as 31 Feb). Dates outside
// the clock's range (years 1677-2262) give its earliest or latest time_point.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

} // namespace socrata
