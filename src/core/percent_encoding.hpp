// RFC 3986 percent-encoding for query parameter values. Everything but the unreserved set
// (ALPHA / DIGIT / "-" / "." / "_" / "~") is encoded, so no value can add a parameter ('&'),
// end the query ('#'), be decoded twice ('%') or turn into a space ('+').
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace socrata {

std::string percent_encode(std::string_view value);

// Appends the encoding of `value` to `out` (no temporary string per parameter).
void append_percent_encoded(std::string &out, std::string_view value);

// The length of percent_encode(value), without building it.
std::size_t percent_encoded_size(std::string_view value) noexcept;

} // namespace socrata
