// Turning Postgres expressions into SoQL: which WHERE clauses and sort keys Socrata can evaluate
// with exactly the results Postgres would give, and their SoQL text.
//
// Values that are constant for one execution but unknown at plan time (parameters, stable
// functions such as localtimestamp) are not rendered here: the SoQL keeps a placeholder for
// the comparison (soql_comparison.hpp) and the expression goes into `runtime_values`,
// evaluated once when the scan starts (scan.cpp).
#pragma once

#include "local_time_bounds.hpp"
#include "pg_headers.hpp"
#include "remote_schema.hpp"
#include "soql.hpp"
#include "soql_comparison.hpp"
#include "table_options.hpp"

namespace socrata::pg {

// How the scan turns a runtime value into the value it sends, when not as itself.
enum class ValueConversion {
    LowerLocalTime, // a timestamptz, as the least local time it can be (local_time_bounds.hpp)
    UpperLocalTime, // a timestamptz, as the greatest local time it can be
    SessionInstant, // a timestamp or date, as the instant it is in the session's TimeZone
};

struct ConvertedValue {
    int index; // in DeparseContext::runtime_values
    ValueConversion conversion;
};

struct DeparseContext {
    PlannerInfo *root = nullptr;
    RelOptInfo *rel = nullptr;
    const ForeignTableInfo *table = nullptr;
    const RemoteSchema *remote = nullptr; // remote field types; null when unknown
    List *runtime_values = NIL;           // Expr*, in placeholder order (shared by all clauses)
    // A parameterized scan's outer relations: their columns are runtime values (a nested loop
    // sets them per outer row and rescans). Null for a plain scan.
    Relids outer_relids = nullptr;
    // Runtime values the scan converts before sending them, by index.
    std::vector<ConvertedValue> converted_values;
};

// Appends the SoQL for expr to out and returns true, or returns false (out unchanged) when
// the expression must be evaluated locally.
bool deparse_condition(Expr *expr, DeparseContext &ctx, std::string &out);

// The same for one clause of a WHERE list: ANDs its SoQL into `where` and returns true, or
// returns false (where and ctx unchanged) when it must be evaluated locally, including when it
// would make the request too long to send (BoundedConjunction, soql.hpp).
bool deparse_condition_into(Expr *expr, DeparseContext &ctx, BoundedConjunction &where);

// For a clause that stays local because it compares a timestamp column with a timestamptz
// value (`date > now() - interval '30 days'`): ANDs into `where` a wider condition the portal
// can evaluate, on local-time bounds the scan computes when it starts (local_time_bounds.hpp),
// so that the portal sends only the rows near the answer; returns false (where and ctx
// unchanged) when there is none. Every row the clause holds for satisfies the wider condition,
// and Postgres still evaluates the clause itself on the rows that come back.
bool deparse_widened_condition_into(Expr *expr, DeparseContext &ctx, BoundedConjunction &where);

// SoQL identifier of a column of the scanned table, or empty if the column cannot be used
// remotely (dropped, or a type whose remote semantics differ).
std::string remote_column(const DeparseContext &ctx, AttrNumber attnum);

// The remote type of the field a column of the scanned table reads (Other when unknown).
RemoteType remote_type_of(const DeparseContext &ctx, AttrNumber attnum);

// "$order" text for the pathkeys, or empty if any key cannot be sorted remotely the same way.
std::string deparse_order(List *pathkeys, DeparseContext &ctx);

// Shared with the aggregate and ORDER BY pushdown (aggregate_paths.cpp):
// Whether the sort key, over no volatile expression, sorts values of `type` in the type's
// default btree ordering with Postgres's default NULL placement: the only orders Socrata (backed
// by Postgres, NULLs last ascending and first descending) gives the same way. If so, sets
// *descending.
bool default_btree_order(const PathKey *key, Oid type, bool *descending);
// Whether the operator, function or aggregate is one of Postgres's own, with an OID assigned by
// hand in its catalog data (postgres_fdw's cutoff), so that its name says what it does: a
// user's `=` or `sum` in another schema may mean anything.
bool is_builtin(Oid oid);
// The Var that expr is (under binary-compatible casts) if it is a column of the scanned table
// (ctx.rel) of this query level, else null.
Var *column_var(Expr *expr, const DeparseContext &ctx);
// Whether the portal compares text as Postgres does under `collation`: only where the
// text_code_point_order option says the portal compares by code point (not known of the real
// portal), which only the C (or POSIX) collation matches, and only in a database whose
// encoding's bytes sort as their code points (UTF8, LATIN1, SQL_ASCII).
bool text_compares_by_code_point(const DeparseContext &ctx, Oid collation);
// Whether Socrata orders this text column as Postgres does under `collation` (ranges, sorts,
// min/max): where text_compares_by_code_point, and for a field the metadata calls text, never `:id`
// (RemoteType::RowId).
bool text_order_is_remote(const DeparseContext &ctx, AttrNumber attnum, Oid collation);
// Equality and grouping only agree with Socrata's under a deterministic collation (and text
// with no collation, from a conflict of two, is an error in Postgres: never pushed).
bool is_deterministic_collation(Oid collation);
// expr without the binary-compatible casts (RelabelType) around it.
Expr *strip_relabel(Expr *expr);

} // namespace socrata::pg
