// Building SoQL requests safely: literals and identifiers are quoted by SoQL's rules and every
// parameter value is percent-encoded, so no value a user writes can change the shape of the
// request (an `&` or `#` in a literal stays inside that literal).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace socrata {

// 'text' with single quotes doubled. Throws Error(Conversion) on a NUL byte.
std::string quote_literal(std::string_view text);

// A field name as SoQL reads it: plain names and system fields (:id, :@computed_region_x) as
// they are, anything else in backticks.
std::string quote_identifier(std::string_view field);

// RFC 3986 percent-encoding: only unreserved characters stay as they are.
std::string percent_encode(std::string_view text);

struct SoqlQuery {
    std::vector<std::string> select;
    std::string where;
    std::string order;
    std::string group;
    std::string having;
    std::optional<std::int64_t> limit;
    std::int64_t offset = 0;

    // "$select=...&$where=..." with every value percent-encoded.
    std::string to_query_string() const;
};

// The same parameters, not encoded, for people: EXPLAIN output and messages.
std::string describe_query(const SoqlQuery &query);

// <base>/resource/<id>.<format>?<query>
std::string build_resource_url(std::string_view base_url, std::string_view dataset,
                               std::string_view format, const SoqlQuery &query);
// <base>/api/views/<id>.json
std::string build_metadata_url(std::string_view base_url, std::string_view dataset);

} // namespace socrata
