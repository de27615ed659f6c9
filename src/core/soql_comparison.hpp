// A column compared with one value, in SoQL, including values SoQL cannot write.
//
// A timestamp value may be finer than the millisecond Socrata keeps, infinite, or outside the
// years 1 to 9999 SoQL can write. Such a value still compares the same way with every value
// the portal holds, so the comparison is sent as an equivalent one: `date < '…00.0005'` as
// `date <= '…00.000'`, `date < 'infinity'` as `date = date` (true for every non-null date,
// null for a null one, as in Postgres). The comparison is never widened or narrowed.
//
// Values known only when a scan starts (parameters, now()) leave a placeholder in the planned
// $where; render_where() puts the comparisons in once the values are known.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace socrata {

enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge };

// The SoQL spelling ("=", "!=", "<", "<=", ">", ">=").
std::string_view soql_spelling(CompareOp op) noexcept;
// `value op column` as `column flipped(op) value`.
CompareOp flipped(CompareOp op) noexcept;

// Where a value falls among the values a column can hold.
struct ComparedValue {
    enum class Kind {
        Exact,    // `literal` is the value itself (or "null")
        Between,  // strictly between `literal` and the next value the column can hold
        AboveAll, // greater than every value the column can hold
        BelowAll, // less than every value the column can hold
    };
    Kind kind = Kind::Exact;
    std::string literal;
};

// `(column = column)` when `holds`, else `(column != column)`: a comparison that holds for every
// non-null value of the column, or for none, and is null for a null one, as such a comparison
// is in Postgres.
std::string always_soql(std::string_view column, bool holds);

// "(column op value)" or its equivalent for a value SoQL cannot write; `column` is a quoted
// identifier (soql.hpp). A text that is no row id, compared with :id, equals no row.
std::string comparison_soql(std::string_view column, CompareOp op, const ComparedValue &value);

// Whether a SoQL literal may be compared with :id: null, or a quoted row id ('row-' and three
// groups of four letters of Socrata's alphabet joined by '-', '.', '_' or '~', as soql-types'
// LongFormatter writes them). The portal refuses any other text with HTTP 400
// (query.soql.type-mismatch), though no row has it.
bool is_row_id_literal(std::string_view literal) noexcept;

// Whether a SoQL number literal may be compared with a double field: null, or a number that
// is the shortest decimal of a double. The portal reads the literal as a double, and a value
// Postgres holds as that double's shortest decimal (a numeric column) then compares with the
// literal as the double compares with the other: `0.1` qualifies, `0.10000000000000000001`
// (the double 0.1 on the portal, more than 0.1 in Postgres) and 2^53 + 1 do not.
bool reads_back_from_double(std::string_view literal) noexcept;

// The placeholder for `column op <runtime value number index>` in a planned $where.
std::string runtime_comparison(std::size_t index, std::string_view column, CompareOp op);

// The planned $where with each runtime comparison rendered from values[index]. String
// literals are copied as they are, so a constant holding the placeholder's bytes is only text.
// Throws Error(Protocol) for a malformed placeholder or an index without a value.
std::string render_where(std::string_view planned, const std::vector<ComparedValue> &values);

} // namespace socrata
