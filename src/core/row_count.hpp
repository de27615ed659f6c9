// count(*) of a dataset's rows, asked of the portal: for remote estimates and ANALYZE.
#pragma once

#include "soda_client.hpp"

#include <string>
#include <string_view>

namespace socrata {

// count(*) of the dataset's rows matching `where` (SoQL, may be empty), through `client`.
// Throws Error(BadResponse) naming the dataset when the portal's answer is not a count.
double fetch_row_count(SodaClient &client, const std::string &where);

// The portal's count text as a number: digits, as the portal writes a count (a JSON string
// such as "42"). Throws Error(BadResponse) naming `dataset` for anything else.
double parse_row_count(std::string_view text, const std::string &dataset);

} // namespace socrata
