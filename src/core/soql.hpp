// Writing SoQL and SODA 2.1 request URLs safely. Values from Postgres (pushed-down WHERE
// constants, column names) are untrusted text: literals are quoted, identifiers checked, and
// every parameter value percent-encoded, so no value can change the shape of the query or URL.
//
// Grammar facts relied on (socrata-platform/soql-reference, SoQLLexer.flex):
//  - a single-quoted string ends at the first lone quote; '' is a quote; nothing else escapes
//    (backslashes and newlines are plain characters);
//  - an identifier is a letter/'_'/'$' then letters, digits, '_', '$'; a system identifier is
//    ':' or ':@' followed by such characters;
//  - a backtick-quoted identifier may also contain '-', and that is all: there is NO escape for
//    a backtick, space or quote inside backticks, and no leading digit. Names that cannot be
//    written are refused (Error InvalidOption) instead of being mangled.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace socrata {

// The row identifier every Socrata dataset has: the paging key, and a column a table may read.
inline constexpr char kRowIdField[] = ":id";

// 'text' with quotes doubled. Throws Error(Conversion) for NUL or invalid UTF-8, which Socrata
// cannot compare against anything meaningful.
std::string quote_literal(std::string_view value);

// A field name as a SoQL identifier: plain when it is [a-z_][a-z0-9_]* and not a keyword,
// system fields (:id, :updated_at, :@computed_region_...) as they are, otherwise in backticks
// when the grammar allows; throws Error(InvalidOption) when no spelling exists.
std::string quote_identifier(std::string_view field_name);

// Whether `word` (any letter case) is reserved in SoQL, e.g. "order", "select", "null".
bool is_soql_keyword(std::string_view word) noexcept;

// The clauses of one SODA 2.1 request. Clause texts are SoQL built with the functions above.
struct SoqlQuery {
    std::vector<std::string> select; // joined with ','; empty = all fields
    std::string where;
    std::string order;
    std::string group;
    std::string having;
    std::optional<std::int64_t> limit;
    std::optional<std::int64_t> offset;

    // "$select=...&$where=...&$group=...&$having=...&$order=...&$limit=N&$offset=N", empty
    // clauses left out, every value percent-encoded. Throws Error(Protocol) for a negative
    // limit or offset.
    std::string to_query_string() const;
};

// How many bytes of URL-encoded $where the pushed-down conditions may take. Web servers and
// proxies refuse longer request lines with HTTP 414 (nginx, in front of many portals, at 8 kB
// by default; Socrata publishes no limit), and $select, $order and paging need room too.
constexpr std::size_t kMaxPushedWhereBytes = 4096;

// How many bytes of URL-encoded $select a scan of plain fields may send. A wider list (a dataset
// of a hundred columns or more, every one read) is sent as `*` when that returns every field
// asked for: see select_for_url(). With kMaxPushedWhereBytes, paging and the path, the request
// line then stays under nginx's 8 kB.
constexpr std::size_t kMaxSelectBytes = 2048;

// How many bytes of URL-encoded $order a scan's ORDER BY may take to be sent; a longer one is
// sorted by Postgres.
constexpr std::size_t kMaxPushedOrderBytes = 1024;

// How many bytes of URL-encoded $select, $group and $order a pushed-down aggregate may take; a
// longer one is computed by Postgres instead.
constexpr std::size_t kMaxAggregateShapeBytes = 3072;

// The percent-encoded size of these $select items (joined with ','), $group and $order: what a
// request adds to its URL besides $where and paging.
std::size_t encoded_shape_bytes(const std::vector<std::string> &select, std::string_view group,
                                std::string_view order);

// Whether a request that asks for `*` must also name `field` to get it: the fields every row
// has (:id, :created_at, :updated_at, :version), which `*` leaves out, and computed region fields
// (":@computed_region_..."). These come with a plain `*` (a row the portal sent for a
// /resource request without $order has eight of them and no system field:
// ../shared/data/wire_format/ijzp_6zsd_record_2017_from_java_comment.json), but a client of the
// Chicago portal recorded, checked live, that with $order they are left out unless $select
// names them; the wrapper's scans always send $order. Every such field starts with ':'.
bool star_leaves_out(std::string_view field) noexcept;

// The $select to send for `items`, field identifiers. When their list takes more than
// kMaxSelectBytes once encoded and `star_returns_all` (every item is a field the metadata
// lists, or a ':' field), `*` then the items `*` leaves out (star_leaves_out), in that order
// because the portal refuses a `*` after other items: the response carries every field asked
// for, and the decoder keeps them by name. Otherwise `items` as is.
std::vector<std::string> select_for_url(const std::vector<std::string> &items,
                                        bool star_returns_all);

// The items of a comma-separated SoQL list ($group, $order), split at the commas outside
// parentheses, 'string literals' and `quoted identifiers`, without the spaces around them.
std::vector<std::string> split_soql_list(std::string_view list);

// Conditions ANDed into one $where text while it fits a URL budget: the planner offers each
// WHERE clause in turn, in the query's order, and evaluates those refused itself (a long IN
// list, say), so no constant in a query makes it too long to send. A value computed when the
// scan starts is counted at its placeholder's size (see the README).
class BoundedConjunction {
  public:
    explicit BoundedConjunction(std::size_t max_encoded_bytes = kMaxPushedWhereBytes)
        : max_encoded_bytes_(max_encoded_bytes) {}

    // Appends `condition` (SoQL, already parenthesized if it needs to be) unless the result
    // would take more than the budget once percent-encoded; returns whether it did.
    bool add(std::string_view condition);

    const std::string &text() const noexcept { return text_; }
    std::size_t encoded_bytes() const noexcept { return encoded_bytes_; }

  private:
    std::size_t max_encoded_bytes_;
    std::string text_;
    std::size_t encoded_bytes_ = 0;
};

// <base>/resource/<id>.<format>[?<query string>]; format is "json" or "csv".
// Throws Error(InvalidOption) for a malformed dataset id, Error(Protocol) for another format.
std::string build_resource_url(std::string_view base_url, std::string_view dataset_id,
                               std::string_view format, const SoqlQuery &query);

// <base>/api/views/<id>.json: the dataset's metadata (name, columns and their types).
std::string build_metadata_url(std::string_view base_url, std::string_view dataset_id);

} // namespace socrata
