// The text a Postgres input function reads for a decoded SODA value, for the column types that
// need more than the value as sent: json/jsonb (a string value must become a JSON string) and
// point (from a GeoJSON point or a legacy location object).
#pragma once

#include "page.hpp"

#include <string>
#include <string_view>

namespace socrata {

// NUL-terminated JSON text of the value; may point into `scratch`.
const char *json_text_for(ValueKind kind, std::string_view text, std::string &scratch);

// "(lon,lat)" for a point or location object, nullptr (NULL) for one without coordinates (an
// empty point, an address never geocoded); other values as they are (the point input function
// then reports them). Throws Error(Conversion) for an object that is not a point. May point
// into `scratch`.
const char *point_text_for(ValueKind kind, std::string_view text, std::string &scratch);

// Where a row sits, for error messages: ":id row-ab12.cd34" when the page carries the row
// identifier after the value slots, else "row N of the result" given the row's 1-based
// number in the whole result, else "row N of the page".
std::string describe_row_position(const Page &page, std::size_t row, std::size_t value_slots,
                                  std::uint64_t row_number = 0);

// Appends s as a JSON string literal (quoted and escaped).
void append_json_string(std::string &out, std::string_view s);

} // namespace socrata
