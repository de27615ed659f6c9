// Deparsing WHERE clauses and sort keys to SoQL. A construct is pushed only when Socrata gives
// the same answer Postgres would: the column's local type must agree with the field's remote
// type, text ordering needs the text_code_point_order option (the portal's own text order is not
// known), the C collation and an encoding whose bytes sort as code points, and floats/numerics
// must be finite. Everything else stays a local filter, so results never depend on pushdown.
#include "deparse.hpp"

#include "database_encoding.hpp"
#include "datum_literal.hpp"
#include "error.hpp"
#include "pg_guard.hpp"
#include "soql.hpp"
#include "soql_comparison.hpp"

extern "C" {
#include "access/stratnum.h"
#include "catalog/pg_am.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_opfamily.h"
#include "commands/defrem.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/pg_locale.h"
}

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

namespace socrata::pg {

namespace {

// What kind of values an operand holds, as far as comparison semantics go. Timestamp is a
// floating timestamp, Instant a timestamptz: a point in time, whatever the session's TimeZone.
enum class ValueClass { None, Number, Text, Timestamp, Instant, Boolean };

ValueClass class_of_type(Oid type) {
    switch (type) {
    case INT2OID:
    case INT4OID:
    case INT8OID:
    case FLOAT4OID:
    case FLOAT8OID:
    case NUMERICOID:
        return ValueClass::Number;
    case TEXTOID:
    case VARCHAROID:
        return ValueClass::Text;
    case TIMESTAMPOID:
        return ValueClass::Timestamp;
    case TIMESTAMPTZOID:
        return ValueClass::Instant;
    case BOOLOID:
        return ValueClass::Boolean;
    default:
        return ValueClass::None;
    }
}

// Types a runtime value may have when compared with a column of the given class. Not
// timestamptz against a timestamp column: Postgres then converts the column's value to
// timestamptz in the session's TimeZone, and around a daylight-saving change no single
// floating timestamp gives the same answer (local times in the skipped hour convert to instants
// after the ones just past it). `localtimestamp - interval '7 days'` is pushed; `now() -
// interval '7 days'` stays local, with a wider condition sent (deparse_widened_op). Nor timestamp
// or date against a timestamptz column as they are: Postgres converts the value in the TimeZone
// of the execution, which a plan made in another may not share; deparse_session_instant sends
// it converted when the scan starts. `now() - interval '1 day'` is pushed.
bool value_type_fits(ValueClass column_class, Oid value_type) {
    if (column_class == ValueClass::Timestamp)
        return value_type == TIMESTAMPOID || value_type == DATEOID;
    return class_of_type(value_type) == column_class;
}

bool remote_type_fits(ValueClass local, RemoteType remote) {
    switch (local) {
    case ValueClass::Number:
        return remote == RemoteType::Number || remote == RemoteType::Money ||
               remote == RemoteType::Double;
    case ValueClass::Text:
        return remote == RemoteType::Text || remote == RemoteType::RowId;
    case ValueClass::Timestamp:
        return remote == RemoteType::FloatingTimestamp;
    case ValueClass::Instant:
        return remote == RemoteType::FixedTimestamp;
    case ValueClass::Boolean:
        return remote == RemoteType::Checkbox;
    case ValueClass::None:
        return false;
    }
    return false;
}

// An expression Postgres can evaluate once before the scan (or, in a parameterized scan, once
// per outer row): no columns but the outer relations' (ctx.outer_relids), nothing volatile, no
// sub-plans or aggregates.
bool is_runtime_constant(Expr *expr, const DeparseContext &ctx) {
    return pg::call([&] {
        Node *node = reinterpret_cast<Node *>(expr);
        if (contain_volatile_functions(node) || contain_subplans(node) ||
            contain_agg_clause(node) || contain_window_function(node))
            return false;
        if (!contain_var_clause(node))
            return true;
        return ctx.outer_relids != nullptr &&
               bms_is_subset(pull_varnos(ctx.root, node), ctx.outer_relids);
    });
}

// One side of a comparison: a column of the scanned table, a constant, or a value known when
// the scan starts (`runtime`).
struct Operand {
    ValueClass cls = ValueClass::None;
    bool is_column = false;
    Oid type = InvalidOid;
    Expr *expr = nullptr;    // the operand, without binary-compatible casts
    std::string text;        // a column's SoQL name
    AttrNumber attnum = 0;   // a column's attribute number
    ComparedValue constant;  // a constant, as compared with a column
    Expr *runtime = nullptr; // a runtime value
};

// Whether the portal reads a number compared with this column as a double: its field is a
// double, and the column is not float8 (which compares doubles on both sides). Then only a
// constant that is a double's shortest decimal (reads_back_from_double) compares there as here.
bool compares_numbers_as_doubles(const DeparseContext &ctx, const Operand &column) {
    return column.type != FLOAT8OID && remote_type_of(ctx, column.attnum) == RemoteType::Double;
}

// Registers a runtime value; returns its index in ctx.runtime_values.
std::size_t add_runtime_value(DeparseContext &ctx, Expr *expr) {
    std::size_t index = list_length(ctx.runtime_values);
    ctx.runtime_values = pg::call([&] { return lappend(ctx.runtime_values, expr); });
    return index;
}

bool deparse_operand(Expr *expr, DeparseContext &ctx, Operand &out) {
    expr = strip_relabel(expr);
    out.expr = expr;
    // An outer query's column: is_runtime_constant would not see it (contain_var_clause looks at
    // this level only).
    if (IsA(expr, Var) && reinterpret_cast<Var *>(expr)->varlevelsup != 0)
        return false;
    if (Var *var = column_var(expr, ctx)) {
        out.text = remote_column(ctx, var->varattno);
        if (out.text.empty())
            return false;
        out.is_column = true;
        out.attnum = var->varattno;
        out.type = var->vartype;
        out.cls = class_of_type(var->vartype);
        return true;
    }
    if (!is_runtime_constant(expr, ctx))
        return false;
    out.type = pg::call([&] { return exprType(reinterpret_cast<Node *>(expr)); });
    if (IsA(expr, Const)) {
        auto *c = reinterpret_cast<Const *>(expr);
        try {
            out.constant = compared_value_for_datum(c->constvalue, c->constisnull, c->consttype);
        } catch (const Error &) {
            return false; // e.g. NaN: Socrata has no such literal, so filter locally
        }
    } else {
        // Floats and numerics could turn out NaN or infinite at run time: only constants.
        if (out.type == FLOAT4OID || out.type == FLOAT8OID || out.type == NUMERICOID)
            return false;
        out.runtime = expr;
    }
    return true;
}

// Whether the operator reads a column operand as the column's own class. A binary-coercible
// cast (text to bpchar, int4 to oid) disappears with strip_relabel, but the operator is then
// the cast type's: bpchareq ignores trailing spaces, oid compares unsigned.
bool reads_column_as_is(Oid input_type, const Operand &operand) {
    return !operand.is_column || class_of_type(input_type) == operand.cls;
}

// The operator's declared input types, left and right.
std::pair<Oid, Oid> operator_input_types(Oid opno) {
    Oid left = InvalidOid;
    Oid right = InvalidOid;
    pg::call([&] { op_input_types(opno, &left, &right); });
    return {left, right};
}

// The operands of a binary operator, at least one of them a column of the scanned table;
// false if either cannot be used remotely. (Constant-only clauses are Postgres's business, and
// rare.)
bool deparse_operands(const OpExpr *op, DeparseContext &ctx, Operand &left, Operand &right) {
    if (!deparse_operand(static_cast<Expr *>(linitial(op->args)), ctx, left) ||
        !deparse_operand(static_cast<Expr *>(lsecond(op->args)), ctx, right) ||
        (!left.is_column && !right.is_column))
        return false;
    const auto [left_type, right_type] = operator_input_types(op->opno);
    return reads_column_as_is(left_type, left) && reads_column_as_is(right_type, right);
}

// The comparison as the column sees it: `5 < ward` is `ward > 5`.
CompareOp column_first(CompareOp compare, const Operand &left) {
    return left.is_column ? compare : flipped(compare);
}

std::optional<CompareOp> compare_op(const std::string &name) {
    static const std::pair<const char *, CompareOp> map[] = {
        {"=", CompareOp::Eq},  {"<>", CompareOp::Ne}, {"<", CompareOp::Lt},
        {"<=", CompareOp::Le}, {">", CompareOp::Gt},  {">=", CompareOp::Ge},
    };
    for (const auto &[pg_name, op] : map)
        if (name == pg_name)
            return op;
    return std::nullopt;
}

// The name of a built-in operator given two arguments, or null for any other (whose meaning
// the name does not tell).
const char *builtin_binary_op_name(Oid opno, List *args) {
    if (!is_builtin(opno) || list_length(args) != 2)
        return nullptr;
    return pg::call([&] { return get_opname(opno); });
}

// Whether Socrata can compare the column with the other operand (a column or a value) as
// Postgres does: same value class, same remote type for two columns, and for a number column
// the portal compares as doubles, a constant that reads back the same from a double.
bool operands_compare_remotely(const Operand &column, const Operand &other,
                               const DeparseContext &ctx) {
    if (other.is_column ? other.cls != column.cls : !value_type_fits(column.cls, other.type))
        return false;
    // SoQL compares two fields of the same type only (soql-reference's Eq(a, a) and the like):
    // text with :id, or a number with a money or a double, is refused with HTTP 400.
    if (other.is_column && remote_type_of(ctx, column.attnum) != remote_type_of(ctx, other.attnum))
        return false;
    // (A runtime value is not checked, so not sent.)
    return other.is_column || !compares_numbers_as_doubles(ctx, column) ||
           (!other.runtime && reads_back_from_double(other.constant.literal));
}

// LIKE / NOT LIKE (`~~`, `!~~`): Socrata has the same % and _ wildcards but no escape
// character, so only a constant pattern without backslashes, over a text field, is sent.
bool deparse_like(const OpExpr *op, bool negated, const Operand &left, const Operand &right,
                  const DeparseContext &ctx, std::string &out) {
    if (!left.is_column || right.is_column || left.cls != ValueClass::Text || right.runtime ||
        right.constant.kind != ComparedValue::Kind::Exact ||
        remote_type_of(ctx, left.attnum) != RemoteType::Text)
        return false;
    // Postgres refuses LIKE under a nondeterministic collation: leave it that error.
    if (!is_deterministic_collation(op->inputcollid) ||
        right.constant.literal.find('\\') != std::string::npos)
        return false;
    if (right.constant.literal.find('_') != std::string::npos &&
        !database_like_matches_characters())
        return false;
    out += "(" + left.text + (negated ? " NOT LIKE " : " LIKE ") + right.constant.literal + ")";
    return true;
}

// Whether the portal compares the text operands as Postgres does under the operator's
// collation: equality under any deterministic one, order only where the portal's is known.
bool text_comparison_is_remote(CompareOp compare, const Operand &column, const Operand &other,
                               const DeparseContext &ctx, Oid collation) {
    if (compare == CompareOp::Eq || compare == CompareOp::Ne)
        return is_deterministic_collation(collation);
    return text_order_is_remote(ctx, column.attnum, collation) &&
           (!other.is_column || text_order_is_remote(ctx, other.attnum, collation));
}

// A timestamptz column compared with a timestamp or date value (`updated_at >= current_date`):
// Postgres reads the value as an instant in the session's TimeZone, one instant for every row,
// and compares instants. So the comparison is sent on that instant, which the scan computes
// when it starts, in the zone of the execution (a prepared plan may run in another).
bool deparse_session_instant(CompareOp compare, const Operand &column, Expr *value,
                             DeparseContext &ctx, std::string &out) {
    std::size_t index = add_runtime_value(ctx, value);
    ctx.converted_values.push_back({static_cast<int>(index), ValueConversion::SessionInstant});
    out += runtime_comparison(index, column.text, compare);
    return true;
}

bool deparse_op(OpExpr *op, DeparseContext &ctx, std::string &out) {
    const char *name = builtin_binary_op_name(op->opno, op->args);
    if (!name)
        return false;
    std::string op_name = name;

    Operand left, right;
    if (!deparse_operands(op, ctx, left, right))
        return false;
    const Operand &column = left.is_column ? left : right;
    const Operand &other = left.is_column ? right : left;
    if (column.cls == ValueClass::Instant && !other.is_column &&
        (other.type == TIMESTAMPOID || other.type == DATEOID)) {
        std::optional<CompareOp> known = compare_op(op_name);
        return known &&
               deparse_session_instant(column_first(*known, left), column, other.expr, ctx, out);
    }
    if (!operands_compare_remotely(column, other, ctx))
        return false;
    if (op_name == "~~" || op_name == "!~~")
        return deparse_like(op, op_name == "!~~", left, right, ctx, out);

    std::optional<CompareOp> known = compare_op(op_name);
    if (!known || (column.cls == ValueClass::Text &&
                   !text_comparison_is_remote(*known, column, other, ctx, op->inputcollid)))
        return false;
    if (other.is_column) {
        out += "(" + left.text + " " + std::string(soql_spelling(*known)) + " " + right.text + ")";
        return true;
    }
    const CompareOp compare = column_first(*known, left);
    if (other.runtime)
        out += runtime_comparison(add_runtime_value(ctx, other.runtime), column.text, compare);
    else
        out += comparison_soql(column.text, compare, other.constant);
    return true;
}

// The elements of a constant array (non-null) of element_type, in the current memory context.
struct ArrayElements {
    Datum *values = nullptr;
    bool *nulls = nullptr;
    int count = 0;
};

ArrayElements deconstruct_constant_array(const Const *array, Oid element_type) {
    ArrayElements elements;
    pg::call([&] {
        ArrayType *arr = DatumGetArrayTypeP(array->constvalue);
        int16 typlen;
        bool typbyval;
        char typalign;
        get_typlenbyvalalign(element_type, &typlen, &typbyval, &typalign);
        deconstruct_array(arr, element_type, typlen, typbyval, typalign, &elements.values,
                          &elements.nulls, &elements.count);
    });
    return elements;
}

// The SoQL list ("1,2,3") of the elements the column could equal; false if one cannot be
// written so that the portal compares it as Postgres does.
bool soql_value_list(const ArrayElements &elements, Oid element_type, const Operand &column,
                     const DeparseContext &ctx, std::string &list) {
    const bool as_doubles = compares_numbers_as_doubles(ctx, column);
    for (int i = 0; i < elements.count; ++i) {
        ComparedValue value;
        try {
            value = compared_value_for_datum(elements.values[i], elements.nulls[i], element_type);
        } catch (const Error &) {
            return false; // e.g. NaN
        }
        // A timestamp finer than a millisecond or outside the years 1 to 9999 equals no value
        // the portal holds, as a text that is no row id equals no row (which the portal would
        // refuse the list for): left out.
        if (value.kind != ComparedValue::Kind::Exact)
            continue;
        const std::string &literal = value.literal;
        if (column.text == kRowIdField && !is_row_id_literal(literal))
            continue;
        if (as_doubles && !reads_back_from_double(literal))
            return false;
        // No space after the comma: it would take 3 bytes of URL per element.
        list += (list.empty() ? "" : ",") + literal;
    }
    return true;
}

bool deparse_array_op(ScalarArrayOpExpr *op, DeparseContext &ctx, std::string &out) {
    const char *name = builtin_binary_op_name(op->opno, op->args);
    if (!name)
        return false;
    bool in = op->useOr && std::strcmp(name, "=") == 0;
    bool not_in = !op->useOr && std::strcmp(name, "<>") == 0;
    if (!in && !not_in)
        return false;

    Operand column;
    if (!deparse_operand(static_cast<Expr *>(linitial(op->args)), ctx, column) || !column.is_column)
        return false;
    if (!reads_column_as_is(operator_input_types(op->opno).first, column))
        return false;
    if (column.cls == ValueClass::Text && !is_deterministic_collation(op->inputcollid))
        return false;
    // Only a constant array: an empty runtime array has no SoQL list form.
    Expr *array = strip_relabel(static_cast<Expr *>(lsecond(op->args)));
    if (!IsA(array, Const) || reinterpret_cast<Const *>(array)->constisnull)
        return false;
    auto *c = reinterpret_cast<Const *>(array);
    Oid element_type = pg::call([&] { return get_element_type(c->consttype); });
    if (!OidIsValid(element_type) || !value_type_fits(column.cls, element_type))
        return false;

    ArrayElements elements = deconstruct_constant_array(c, element_type);
    std::string list;
    if (elements.count == 0 || !soql_value_list(elements, element_type, column, ctx, list))
        return false;
    if (list.empty()) // only values no row has: IN holds for no row, NOT IN for all
        out += always_soql(column.text, !in);
    else
        out += "(" + column.text + (in ? " IN (" : " NOT IN (") + list + "))";
    return true;
}

bool deparse_bool_expr(BoolExpr *b, DeparseContext &ctx, std::string &out) {
    std::string text;
    const char *joiner = b->boolop == AND_EXPR ? " AND " : " OR ";
    ListCell *cell;
    bool first = true;
    foreach (cell, b->args) {
        std::string arg;
        if (!deparse_condition(static_cast<Expr *>(lfirst(cell)), ctx, arg))
            return false;
        if (b->boolop == NOT_EXPR) {
            text = "NOT " + arg;
            break;
        }
        text += (first ? "" : joiner) + arg;
        first = false;
    }
    out += "(" + text + ")";
    return true;
}

bool deparse_null_test(NullTest *test, DeparseContext &ctx, std::string &out) {
    if (test->argisrow)
        return false;
    Operand column;
    if (!deparse_operand(test->arg, ctx, column) || !column.is_column)
        return false;
    out += "(" + column.text + (test->nulltesttype == IS_NULL ? " IS NULL)" : " IS NOT NULL)");
    return true;
}

} // namespace

bool text_compares_by_code_point(const DeparseContext &ctx, Oid collation) {
    if (!ctx.table || !ctx.table->settings.text_code_point_order)
        return false;
    bool c_collation =
        collation == C_COLLATION_OID || collation == POSIX_COLLATION_OID ||
        (OidIsValid(collation) && pg::call([&] { return lc_collate_is_c(collation); }));
    return c_collation && database_bytes_order_as_code_points();
}

bool text_order_is_remote(const DeparseContext &ctx, AttrNumber attnum, Oid collation) {
    return remote_type_of(ctx, attnum) == RemoteType::Text &&
           text_compares_by_code_point(ctx, collation);
}

bool is_deterministic_collation(Oid collation) {
    // No collation on text means two implicit ones conflicted: Postgres raises an error when
    // it compares, so the comparison must stay local to raise it.
    return OidIsValid(collation) &&
           pg::call([&] { return get_collation_isdeterministic(collation); });
}

Expr *strip_relabel(Expr *expr) {
    while (expr && IsA(expr, RelabelType))
        expr = reinterpret_cast<RelabelType *>(expr)->arg;
    return expr;
}

bool is_builtin(Oid oid) {
    return oid < FirstGenbkiObjectId;
}

Var *column_var(Expr *expr, const DeparseContext &ctx) {
    expr = strip_relabel(expr);
    if (!expr || !IsA(expr, Var))
        return nullptr;
    auto *var = reinterpret_cast<Var *>(expr);
    if (static_cast<Index>(var->varno) != ctx.rel->relid || var->varlevelsup != 0)
        return nullptr;
    return var;
}

bool default_btree_order(const PathKey *key, Oid type, bool *descending) {
    if (key->pk_eclass->ec_has_volatile)
        return false;
    Oid default_family = pg::call([&] {
        Oid opclass = GetDefaultOpClass(type, BTREE_AM_OID);
        return OidIsValid(opclass) ? get_opclass_family(opclass) : InvalidOid;
    });
    if (key->pk_opfamily != default_family)
        return false;
    *descending = key->pk_strategy == BTGreaterStrategyNumber;
    return key->pk_nulls_first == *descending;
}

RemoteType remote_type_of(const DeparseContext &ctx, AttrNumber attnum) {
    if (!ctx.remote || attnum <= 0 || attnum > static_cast<AttrNumber>(ctx.table->columns.size()))
        return RemoteType::Other;
    return ctx.remote->type_of(ctx.table->columns[attnum - 1].field);
}

std::string remote_column(const DeparseContext &ctx, AttrNumber attnum) {
    if (attnum <= 0 || attnum > static_cast<AttrNumber>(ctx.table->columns.size()) || !ctx.remote)
        return {};
    const ColumnInfo &col = ctx.table->columns[attnum - 1];
    // A type modifier (numeric(8,2), timestamp(0), varchar(20)) rounds, truncates or refuses
    // the portal's value on the way in, and real rounds it to 24 bits: the portal would
    // filter, sort and group values the table never holds.
    if (col.dropped || col.typmod >= 0 || col.type == FLOAT4OID)
        return {};
    ValueClass cls = class_of_type(col.type);
    if (cls == ValueClass::None || !remote_type_fits(cls, ctx.remote->type_of(col.field)))
        return {};
    return soql_field(*ctx.table, col);
}

namespace {

// Drops the runtime values registered after the first `length`: those of a clause that is not
// sent after all. The scan would compute and convert them when it starts, and fail on one that
// cannot be sent (text that is not UTF-8), and later values would take higher numbers.
void forget_runtime_values_after(DeparseContext &ctx, int length) {
    if (list_length(ctx.runtime_values) == length)
        return;
    auto &converted = ctx.converted_values;
    converted.erase(std::remove_if(converted.begin(), converted.end(),
                                   [length](const ConvertedValue &v) { return v.index >= length; }),
                    converted.end());
    ctx.runtime_values =
        length == 0 ? NIL : pg::call([&] { return list_truncate(ctx.runtime_values, length); });
}

// A timestamp column compared (`<`, `<=`, `>`, `>=`, `=`) with a timestamptz value, a constant
// or one known when the scan starts: the comparisons with local-time bounds that every row it
// holds for satisfies (local_time_bounds.hpp), each on a runtime value the scan turns into its
// bound. The value is registered once per bound.
bool deparse_widened_op(OpExpr *op, DeparseContext &ctx, std::string &out) {
    const char *name = builtin_binary_op_name(op->opno, op->args);
    std::optional<CompareOp> known = name ? compare_op(name) : std::nullopt;
    if (!known)
        return false;
    Operand left, right;
    if (!deparse_operands(op, ctx, left, right) || (left.is_column && right.is_column))
        return false;
    const Operand &column = left.is_column ? left : right;
    const Operand &value = left.is_column ? right : left;
    if (column.cls != ValueClass::Timestamp || value.type != TIMESTAMPTZOID)
        return false;
    std::vector<BoundComparison> bounds = bound_comparisons(column_first(*known, left));
    if (bounds.empty())
        return false;
    std::string text;
    for (const BoundComparison &bound : bounds) {
        auto index = static_cast<int>(add_runtime_value(ctx, value.expr));
        ctx.converted_values.push_back({index, bound.side == BoundSide::Lower
                                                   ? ValueConversion::LowerLocalTime
                                                   : ValueConversion::UpperLocalTime});
        text += (text.empty() ? "" : " AND ") +
                runtime_comparison(static_cast<std::size_t>(index), column.text, bound.op);
    }
    out += bounds.size() == 1 ? text : "(" + text + ")";
    return true;
}

} // namespace

bool deparse_widened_condition_into(Expr *expr, DeparseContext &ctx, BoundedConjunction &where) {
    if (!expr || !IsA(expr, OpExpr))
        return false;
    const int saved_length = list_length(ctx.runtime_values);
    std::string text;
    if (deparse_widened_op(reinterpret_cast<OpExpr *>(expr), ctx, text) && where.add(text))
        return true;
    forget_runtime_values_after(ctx, saved_length);
    return false;
}

bool deparse_condition(Expr *expr, DeparseContext &ctx, std::string &out) {
    if (!expr)
        return false;
    std::string text;
    bool ok = false;
    // Remember the runtime values so a clause that fails halfway leaves no stray entries.
    const int saved_length = list_length(ctx.runtime_values);

    switch (nodeTag(expr)) {
    case T_OpExpr:
        ok = deparse_op(reinterpret_cast<OpExpr *>(expr), ctx, text);
        break;
    case T_ScalarArrayOpExpr:
        ok = deparse_array_op(reinterpret_cast<ScalarArrayOpExpr *>(expr), ctx, text);
        break;
    case T_BoolExpr:
        ok = deparse_bool_expr(reinterpret_cast<BoolExpr *>(expr), ctx, text);
        break;
    case T_NullTest:
        ok = deparse_null_test(reinterpret_cast<NullTest *>(expr), ctx, text);
        break;
    case T_Var: {
        // A boolean column used as a condition: WHERE arrest
        Operand column;
        ok = deparse_operand(expr, ctx, column) && column.is_column &&
             column.cls == ValueClass::Boolean;
        if (ok)
            text = "(" + column.text + " = true)";
        break;
    }
    default:
        break;
    }
    if (!ok) {
        forget_runtime_values_after(ctx, saved_length);
        return false;
    }
    out += text;
    return true;
}

bool deparse_condition_into(Expr *expr, DeparseContext &ctx, BoundedConjunction &where) {
    const int saved_length = list_length(ctx.runtime_values);
    std::string text;
    if (!deparse_condition(expr, ctx, text))
        return false;
    if (where.add(text))
        return true;
    forget_runtime_values_after(ctx, saved_length);
    return false;
}

std::string deparse_order(List *pathkeys, DeparseContext &ctx) {
    std::string order;
    ListCell *cell;
    foreach (cell, pathkeys) {
        auto *key = static_cast<PathKey *>(lfirst(cell));
        EquivalenceClass *ec = key->pk_eclass;
        Var *var = nullptr;
        ListCell *member_cell;
        foreach (member_cell, ec->ec_members) {
            auto *member = static_cast<EquivalenceMember *>(lfirst(member_cell));
            var = column_var(member->em_expr, ctx);
            if (var)
                break;
        }
        if (!var)
            return {};
        std::string column = remote_column(ctx, var->varattno);
        ValueClass cls = class_of_type(var->vartype);
        if (column.empty() || (cls == ValueClass::Text &&
                               !text_order_is_remote(ctx, var->varattno, ec->ec_collation)))
            return {};
        bool descending;
        if (!default_btree_order(key, var->vartype, &descending))
            return {};
        order += (order.empty() ? "" : ", ") + column + (descending ? " DESC" : " ASC");
    }
    return order;
}

} // namespace socrata::pg
