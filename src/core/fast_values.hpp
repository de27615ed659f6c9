// Fast parsing of the SODA wire forms that dominate bulk loads, so the scan can build Datums
// without a trip through Postgres's general-purpose input functions (ParseDateTime alone costs
// about a microsecond per timestamp). Each parser accepts only the canonical form the API sends
// and returns nullopt for anything else; the caller then falls back to the input function, so
// the result, and every error message, is exactly what Postgres itself would produce.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace socrata {

// "YYYY-MM-DDTHH:MM:SS" with an optional fraction of 1-6 digits (a floating timestamp, e.g.
// "2002-04-07T14:45:00.000"), as microseconds since 2000-01-01 00:00:00 (Postgres's epoch).
// Years 1-9999 only.
std::optional<std::int64_t> parse_floating_timestamp(std::string_view text);

// The same followed by "Z" (a fixed timestamp as the portal writes it, in UTC, e.g.
// "2024-03-10T08:30:00.000Z"), as a timestamptz: microseconds since 2000-01-01 00:00:00 UTC.
// Any other offset falls back to the Postgres parser.
std::optional<std::int64_t> parse_fixed_timestamp(std::string_view text);

// A decimal integer in [min, max]: optional '-', digits, nothing else.
std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t min,
                                          std::int64_t max);

// A finite decimal number ("41.83739443", "-87.6", "1e5"): optional '-', no spaces, no '+',
// no hex, no NaN/Infinity; correctly rounded, so the same double as strtod (float8in) gives.
// Out of range or anything else: nullopt.
std::optional<double> parse_double(std::string_view text);

// "true" / "false", the checkbox wire form.
std::optional<bool> parse_checkbox(std::string_view text);

// An exact decimal: digits / 10^scale ("-87.6479" is {-876479, 4}).
struct ScaledDecimal {
    std::int64_t digits = 0;
    int scale = 0;
};

// A JSON number in plain decimal form ("41.76794466", "-87", "0.5"): optional '-', an integer
// part without leading zeros, an optional fraction; at most 15 digits in all, no exponent, not
// negative zero (left to jsonb_in, for simplicity). Anything else: nullopt.
std::optional<ScaledDecimal> parse_plain_decimal(std::string_view text);

// The coordinates of a GeoJSON point spelled exactly as the portal sends a `point` field,
//   {"type":"Point","coordinates":[-87.64792081,41.76794466]}
// (no spaces, those two members in that order, two plain decimals), so that a jsonb column's
// value can be built without parsing the JSON again (jsonb_in was a third of a full-row scan's
// conversion work). Any other spelling is nullopt, for jsonb_in to read.
std::optional<std::array<ScaledDecimal, 2>> parse_compact_geojson_point(std::string_view text);

// The length of a JSON number in plain form at the start of [p, end): optional '-', an integer
// part without leading zeros, an optional fraction. 0 if there is none, if it goes on in a way
// this form does not take (an exponent, a digit after a leading zero, a '.' without digits), or
// if it reaches end (it may go on in the next chunk). What follows it is the caller's to check
// ("1x" gives 1).
inline std::size_t plain_json_number_length(const char *p, const char *end) noexcept {
    auto is_digit = [](char c) { return static_cast<unsigned char>(c - '0') <= 9; };
    const char *q = p;
    if (q != end && *q == '-')
        ++q;
    if (q == end || !is_digit(*q))
        return 0;
    if (*q++ == '0') {
        if (q != end && is_digit(*q))
            return 0;
    } else {
        while (q != end && is_digit(*q))
            ++q;
    }
    if (q != end && *q == '.') {
        const char *fraction = ++q;
        while (q != end && is_digit(*q))
            ++q;
        if (q == fraction)
            return 0;
    }
    if (q == end || *q == 'e' || *q == 'E')
        return 0;
    return std::size_t(q - p);
}

// The length of a point in that compact form at the start of [p, end), its coordinates any
// plain JSON numbers, if all of it is there; otherwise 0. The JSON decoder takes a value it
// finds this way as it is, instead of byte by byte: it is the compact text the byte-by-byte
// steps would make of it (parse_compact_geojson_point may still decline its numbers).
std::size_t compact_geojson_point_length(const char *p, const char *end);

} // namespace socrata
