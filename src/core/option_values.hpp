// Strict parsing of option strings (CREATE SERVER / FOREIGN TABLE ... OPTIONS). Strict because
// a typo that silently becomes a default (page_size '10k' -> 0) is worse than an error at
// CREATE time. Every function throws Error(InvalidOption) naming the option and the bad value,
// with a hint showing a valid one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace socrata {

// A decimal integer in [min, max]: optional '+'/'-', digits only, nothing else (no spaces,
// no "1e3", no "0x10"); overflow is an error, not a wrap.
std::int64_t parse_int_option(std::string_view name, std::string_view text, std::int64_t min,
                              std::int64_t max);

// true/false, on/off, yes/no, 1/0, in any letter case (what PostgreSQL accepts for booleans,
// minus its prefix abbreviations).
bool parse_bool_option(std::string_view name, std::string_view text);

// How rows are requested: auto (CSV when every field reads the same as in JSON, else JSON),
// json or csv; lowercase, as in the documentation.
enum class ResponseFormat { Auto, Json, Csv };
ResponseFormat parse_response_format_option(std::string_view name, std::string_view text);

// A Socrata "4x4" id: four lowercase letters or digits, '-', four more (e.g. ijzp-q8t2).
bool is_valid_dataset_id(std::string_view text) noexcept;

// What a dataset id looks like, as an error's detail says it.
extern const char kDatasetIdForm[];

// Same check, throwing with a message naming the option.
void validate_dataset_id(std::string_view name, std::string_view text);

// The portal root URL, normalised: scheme and host lowercased, trailing '/' removed.
// Only http/https; a host is required; no userinfo, query, fragment, white space, control or
// non-ASCII characters; the port, if any, is 1-65535. A URL pointing into the API
// (/resource/..., /api/...) is refused with a hint, since the dataset id has its own option.
std::string validate_base_url(std::string_view text, std::string_view name = "base_url");

} // namespace socrata
