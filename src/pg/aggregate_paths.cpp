// Pushing aggregates (GROUP BY, count/sum/avg/min/max) and their ORDER BY down to Socrata,
// restricted to what Socrata evaluates exactly as Postgres does:
//  - the input is one base foreign table whose WHERE clauses were all pushed ($where);
//  - GROUP BY plain columns or date_trunc('month'|'year', <timestamp column>)
//    (SoQL date_trunc_ym / date_trunc_y); no grouping sets, no HAVING;
//  - count(*), count(col) on any remotely usable column; sum only on exact number columns
//    (int2/4/8, numeric: float sums depend on the order of addition) over exact fields (not a
//    double, which the portal sums in floating point); avg of integer columns
//    as sum and count, divided locally as Postgres's avg divides; min/max on numbers and
//    timestamps, and on text only where text_code_point_order says the portal compares text by
//    code point, under the C collation;
//  - ORDER BY over the grouped result by its keys and aggregates, but an avg.
//
// The select items are aliased ("count(*) AS a1"); an avg takes two items, its sum and its
// count ("a2_n").
#include "ascii_case.hpp"
#include "path_costs.hpp"
#include "pg_guard.hpp"
#include "soql.hpp"
#include "upper_paths.hpp"

extern "C" {
#include "catalog/pg_aggregate.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_namespace.h"
#include "utils/fmgroids.h"
#include "utils/pg_locale.h"
#include "utils/selfuncs.h"
}

#include <algorithm>

namespace socrata::pg {

namespace {

// A column of the base relation that the portal can read: its Var and its SoQL identifier.
struct RemoteColumn {
    const Var *var = nullptr; // null when the expression is no such column
    std::string name;

    explicit operator bool() const { return var != nullptr; }
};

// The base relation's column behind expr, if the portal can read it.
RemoteColumn column_of(Expr *expr, const DeparseContext &ctx) {
    const Var *var = column_var(expr, ctx);
    if (!var)
        return {};
    // Not through a cast that costs nothing but changes the meaning: beat::bpchar groups 'A'
    // with 'A ', ward::oid orders -1 last. (A varchar column is read as text.)
    const Oid read_as = pg::call([&] { return exprType(reinterpret_cast<Node *>(expr)); });
    if (read_as != var->vartype && !(read_as == TEXTOID && var->vartype == VARCHAROID))
        return {};
    std::string name = remote_column(ctx, var->varattno);
    if (name.empty())
        return {};
    return {var, std::move(name)};
}

bool is_integer(Oid type) {
    return type == INT2OID || type == INT4OID || type == INT8OID;
}

bool is_exact_number(Oid type) {
    return is_integer(type) || type == NUMERICOID;
}

// (No real: remote_column() keeps real columns local.)
bool is_number(Oid type) {
    return is_exact_number(type) || type == FLOAT8OID;
}

// A floating or a fixed timestamp column (remote_column() checked the field's type).
bool is_timestamp(Oid type) {
    return type == TIMESTAMPOID || type == TIMESTAMPTZOID;
}

bool is_text(Oid type) {
    return type == TEXTOID || type == VARCHAROID;
}

// Whether the portal sums the column's field exactly: not a double, which it sums in floating
// point (0.1 + 0.2 gives 0.30000000000000004, where Postgres sums the decimal text exactly).
bool sums_exactly(const DeparseContext &ctx, AttrNumber attnum) {
    return remote_type_of(ctx, attnum) != RemoteType::Double;
}

// A grouping expression in SoQL, or empty.
std::string deparse_group_expr(Expr *expr, const DeparseContext &ctx) {
    // Rows are grouped under the expression's collation (GROUP BY block COLLATE "x"), which the
    // relabelling around the column carries.
    Oid collation = pg::call([&] { return exprCollation(reinterpret_cast<Node *>(expr)); });
    Expr *grouped = expr;
    expr = strip_relabel(expr);
    if (IsA(expr, Var)) {
        RemoteColumn column = column_of(grouped, ctx);
        if (!column || (is_text(column.var->vartype) && !is_deterministic_collation(collation)))
            return {};
        return column.name;
    }
    if (IsA(expr, FuncExpr)) {
        auto *func = reinterpret_cast<FuncExpr *>(expr);
        if (func->funcid != F_DATE_TRUNC_TEXT_TIMESTAMP || list_length(func->args) != 2)
            return {};
        auto *unit = strip_relabel(static_cast<Expr *>(linitial(func->args)));
        if (!IsA(unit, Const) || reinterpret_cast<Const *>(unit)->constisnull)
            return {};
        Datum unit_value = reinterpret_cast<Const *>(unit)->constvalue;
        const std::string unit_name =
            ascii_lowercase(pg::call([&] { return text_to_cstring(DatumGetTextPP(unit_value)); }));
        const char *soql_func = unit_name == "month"  ? "date_trunc_ym"
                                : unit_name == "year" ? "date_trunc_y"
                                                      : nullptr;
        if (!soql_func)
            return {};
        RemoteColumn column = column_of(static_cast<Expr *>(lsecond(func->args)), ctx);
        if (!column || column.var->vartype != TIMESTAMPOID)
            return {};
        return std::string(soql_func) + "(" + column.name + ")";
    }
    return {};
}

// A built-in aggregate called plainly: no DISTINCT, ORDER BY, FILTER, VARIADIC or partial
// aggregation, which SoQL cannot express.
bool is_plain_builtin_aggregate(const Aggref *agg) {
    return agg->aggsplit == AGGSPLIT_SIMPLE && agg->aggorder == NIL && agg->aggdistinct == NIL &&
           agg->aggfilter == nullptr && !agg->aggvariadic && agg->aggkind == AGGKIND_NORMAL &&
           is_builtin(agg->aggfnoid);
}

// The aggregate's function name; empty for an OID with no function (get_func_name's NULL).
std::string aggregate_name(const Aggref *agg) {
    const char *name = pg::call([&] { return get_func_name(agg->aggfnoid); });
    return name ? name : "";
}

// An aggregate call in SoQL, or empty.
std::string deparse_aggregate(Aggref *agg, const DeparseContext &ctx) {
    if (!is_plain_builtin_aggregate(agg))
        return {};
    const std::string name = aggregate_name(agg);
    if (name == "count" && agg->aggstar)
        return "count(*)";
    if (list_length(agg->args) != 1)
        return {};
    auto *arg = static_cast<TargetEntry *>(linitial(agg->args));
    RemoteColumn column = column_of(arg->expr, ctx);
    if (!column)
        return {};
    Oid type = column.var->vartype;
    bool ok = false;
    if (name == "count")
        ok = true;
    else if (name == "sum")
        ok = is_exact_number(type) && sums_exactly(ctx, column.var->varattno);
    // avg is not asked for as such: Socrata's digits could differ from Postgres's. An integer
    // column's avg is pushed as its sum and count (add_aggregate), and RowConverter divides
    // them the way Postgres's own avg does.
    else if (name == "min" || name == "max")
        ok = is_number(type) || is_timestamp(type) ||
             (is_text(type) && text_order_is_remote(ctx, column.var->varattno, agg->inputcollid));
    if (!ok)
        return {};
    return name + "(" + column.name + ")";
}

// avg(<integer column>) as the SoQL sum and count to divide. Only integer columns: their sum
// is an integer, so the quotient has exactly the digits Postgres's avg gives.
bool avg_as_sum_and_count(Aggref *agg, const DeparseContext &ctx, std::string &sum,
                          std::string &count) {
    if (!is_plain_builtin_aggregate(agg) || list_length(agg->args) != 1)
        return false;
    if (aggregate_name(agg) != "avg")
        return false;
    auto *arg = static_cast<TargetEntry *>(linitial(agg->args));
    RemoteColumn column = column_of(arg->expr, ctx);
    if (!column || !is_integer(column.var->vartype) || !sums_exactly(ctx, column.var->varattno))
        return false;
    sum = "sum(" + column.name + ")";
    count = "count(" + column.name + ")";
    return true;
}

// The name of a scan tuple column, which conversion errors quote: the table's column for a
// plain column, else the SoQL that computes the value.
char *scan_item_name(const UpperRelInfo &upper, Expr *expr, const std::string &soql) {
    std::string name = soql;
    if (IsA(expr, Var)) {
        auto *var = reinterpret_cast<Var *>(expr);
        const auto &columns = upper.base->table.columns;
        if (var->varattno > 0 && var->varattno <= static_cast<AttrNumber>(columns.size()))
            name = columns[var->varattno - 1].name;
    }
    return pg::call([&] { return pstrdup(name.c_str()); });
}

// Column `position` of the scan tuple reads `soql`; with a `divisor_soql` it is that value
// divided by the divisor's (an avg as sum / count).
void add_scan_item(UpperRelInfo &upper, Expr *expr, const std::string &soql, ItemKind kind,
                   const std::string &divisor_soql = {}) {
    int position = list_length(upper.scan_tlist);
    std::string alias = (kind == ItemKind::GroupKey ? "g" : "a") + std::to_string(position + 1);
    auto &select = upper.plan.request.select;
    int item = static_cast<int>(select.size());
    select.push_back(soql + " AS " + alias);
    int divisor = -1;
    if (!divisor_soql.empty()) {
        divisor = static_cast<int>(select.size());
        select.push_back(divisor_soql + " AS " + alias + "_n");
    }
    upper.items.push_back({std::move(alias), kind, divisor >= 0});
    upper.plan.slot_columns.push_back(position);
    upper.plan.slot_items.push_back(item);
    upper.plan.slot_divisors.push_back(divisor);
    append_scan_target(upper, expr, scan_item_name(upper, expr, soql));
}

// The input relation's planning info if its grouping step could go to Socrata: one of our base
// tables with every WHERE clause pushed, and no grouping sets, HAVING, set-returning functions
// or partitionwise aggregation. Else null.
RelPlanInfo *groupable_input(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel,
                             GroupPathExtraData *extra) {
    Query *parse = root->parse;
    if (input_rel->reloptkind != RELOPT_BASEREL || !is_socrata_rel(input_rel) ||
        !input_rel->fdw_private || output_rel->fdw_private)
        return nullptr;
    auto *info = static_cast<RelPlanInfo *>(input_rel->fdw_private);
    if (info->local_conds != NIL || !info->remote)
        return nullptr;
    if (parse->groupingSets != NIL || root->hasHavingQual || parse->hasTargetSRFs ||
        extra->patype != PARTITIONWISE_AGGREGATE_NONE)
        return nullptr;
    return info;
}

// Whether the target's expression i is a GROUP BY key.
bool is_group_key(PlannerInfo *root, PathTarget *target, int i) {
    Index sgref = get_pathtarget_sortgroupref(target, i);
    return sgref != 0 && get_sortgroupref_clause_noerr(sgref, root->parse->groupClause);
}

// Adds the grouping keys (in the target, resjunk or not) to the candidate's scan tuple and
// returns their SoQL GROUP BY list; false if one of them cannot be pushed.
bool add_group_keys(PlannerInfo *root, PathTarget *target, const DeparseContext &ctx,
                    UpperRelInfo &candidate, std::string &group) {
    ListCell *cell;
    int i = 0;
    foreach (cell, target->exprs) {
        auto *expr = static_cast<Expr *>(lfirst(cell));
        if (!is_group_key(root, target, i++))
            continue;
        std::string soql = deparse_group_expr(expr, ctx);
        if (soql.empty())
            return false;
        if (in_scan_tlist(candidate, expr))
            continue;
        add_scan_item(candidate, expr, soql, ItemKind::GroupKey);
        group += (group.empty() ? "" : ", ") + soql;
    }
    return true;
}

// Adds one aggregate to the candidate's scan tuple: false if Socrata cannot compute it.
bool add_aggregate(Aggref *agg, const DeparseContext &ctx, UpperRelInfo &candidate) {
    Expr *expr = reinterpret_cast<Expr *>(agg);
    if (in_scan_tlist(candidate, expr))
        return true;
    std::string sum, count;
    if (avg_as_sum_and_count(agg, ctx, sum, count)) {
        add_scan_item(candidate, expr, sum, ItemKind::Aggregate, count);
        return true;
    }
    std::string soql = deparse_aggregate(agg, ctx);
    if (soql.empty())
        return false;
    add_scan_item(candidate, expr, soql, ItemKind::Aggregate);
    return true;
}

// Adds the aggregates of the target's other expressions, also those inside expressions
// (count(*) + 1: Postgres computes the expression over the pushed aggregate). False if one
// cannot be pushed, or if an expression reads a column outside the grouping keys (functionally
// dependent on them: left to Postgres).
bool add_aggregates(PlannerInfo *root, PathTarget *target, const DeparseContext &ctx,
                    UpperRelInfo &candidate) {
    ListCell *cell;
    int i = 0;
    foreach (cell, target->exprs) {
        auto *expr = static_cast<Expr *>(lfirst(cell));
        if (is_group_key(root, target, i++))
            continue;
        List *vars = pg::call([&] {
            return pull_var_clause(reinterpret_cast<Node *>(expr), PVC_INCLUDE_AGGREGATES);
        });
        ListCell *vc;
        foreach (vc, vars) {
            auto *node = static_cast<Expr *>(lfirst(vc));
            if (IsA(node, Aggref) ? !add_aggregate(reinterpret_cast<Aggref *>(node), ctx, candidate)
                                  : !in_scan_tlist(candidate, node))
                return false;
        }
    }
    return true;
}

// How many groups the planner expects (1 without GROUP BY).
double estimated_groups(PlannerInfo *root, RelOptInfo *input_rel, const std::string &group) {
    if (group.empty())
        return 1;
    Query *parse = root->parse;
    List *group_exprs =
        pg::call([&] { return get_sortgrouplist_exprs(parse->groupClause, parse->targetList); });
    return pg::call(
        [&] { return estimate_num_groups(root, group_exprs, input_rel->rows, nullptr, nullptr); });
}

// Whether Socrata orders a text output of the pushed aggregate as Postgres does under
// `collation`: a grouping column whose order is the portal's (text_order_is_remote), or a
// min/max, which was pushed only for such a column.
bool text_key_is_remote(Expr *output, const DeparseContext &base, Oid collation) {
    if (IsA(output, Var))
        return text_order_is_remote(base, reinterpret_cast<Var *>(output)->varattno, collation);
    return text_compares_by_code_point(base, collation);
}

// The position in the input's scan tuple of a member of the sort key's equivalence class, and
// that member's scan tuple expression in *found; -1 if none is there.
int scan_position_of(const EquivalenceClass *ec, const UpperRelInfo &input, Expr **found) {
    ListCell *member_cell;
    foreach (member_cell, ec->ec_members) {
        auto *member = static_cast<EquivalenceMember *>(lfirst(member_cell));
        Expr *e = strip_relabel(member->em_expr);
        int i = 0;
        ListCell *tc;
        foreach (tc, input.scan_tlist) {
            auto *tle = static_cast<TargetEntry *>(lfirst(tc));
            if (pg::call([&] { return equal(strip_relabel(tle->expr), e); })) {
                *found = tle->expr;
                return i;
            }
            ++i;
        }
    }
    return -1;
}

// The SoQL order item ("a2 DESC") for a sort key over the pushed aggregate, and its scan tuple
// position in *position; empty if Socrata cannot sort by it as Postgres would.
std::string order_item(PathKey *key, const UpperRelInfo &input, const DeparseContext &base,
                       int *position) {
    EquivalenceClass *ec = key->pk_eclass;
    Expr *found = nullptr;
    *position = scan_position_of(ec, input, &found);
    if (*position < 0)
        return {};
    Oid type = pg::call([&] { return exprType(reinterpret_cast<Node *>(found)); });
    if (is_text(type) ? !text_key_is_remote(strip_relabel(found), base, ec->ec_collation)
                      : !(is_number(type) || is_timestamp(type) || type == BOOLOID))
        return {};
    bool descending;
    if (!default_btree_order(key, type, &descending))
        return {};
    const ScanItem &item = input.items[*position];
    // An avg is computed locally from a sum and a count: Socrata cannot sort by it.
    if (item.divided)
        return {};
    return item.alias + (descending ? " DESC" : " ASC");
}

} // namespace

void add_grouping_paths(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel,
                        GroupPathExtraData *extra) {
    RelPlanInfo *info = groupable_input(root, input_rel, output_rel, extra);
    if (!info)
        return;
    DeparseContext ctx = deparse_context_for(root, input_rel, *info);
    PathTarget *target = root->upper_targets[UPPERREL_GROUP_AGG];
    UpperRelInfo candidate;
    candidate.base = info;
    std::string group;
    // Grouping keys first: a plain column in another expression is pushed only as one of them
    // (add_aggregates looks it up in the scan tuple).
    if (!add_group_keys(root, target, ctx, candidate, group) ||
        !add_aggregates(root, target, ctx, candidate) || candidate.plan.request.select.empty())
        return;

    ScanRequest &request = candidate.plan.request;
    request.where = info->where;
    candidate.plan.converted_values = info->converted_values;
    request.group = group;
    request.order = group; // offset paging needs a stable order of the groups
    if (encoded_shape_bytes(request.select, group, request.order) > kMaxAggregateShapeBytes)
        return; // the request would be too long to send
    request.keyset = false;
    candidate.plan.dataset_label = info->table.settings.dataset;
    candidate.grouped = true;
    add_upper_path(root, output_rel, std::move(candidate), target,
                   estimated_groups(root, input_rel, group), kStartupCost, NIL);
}

// ORDER BY over a pushed aggregate: sort by the output aliases ("a2 DESC, g1 ASC"), then by
// the grouping keys so offset paging sees one total order.
void add_ordered_paths(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel) {
    if (input_rel->reloptkind != RELOPT_UPPER_REL || !is_socrata_rel(input_rel) ||
        !input_rel->fdw_private || output_rel->fdw_private || root->sort_pathkeys == NIL)
        return;
    auto *input = static_cast<UpperRelInfo *>(input_rel->fdw_private);
    if (!input->grouped || input->plan.request.group.empty())
        return;
    DeparseContext base = deparse_context_for(root, nullptr, *input->base);
    std::string order;
    std::vector<int> keys; // scan tuple positions already in the order
    ListCell *cell;
    foreach (cell, root->sort_pathkeys) {
        int position;
        std::string item =
            order_item(static_cast<PathKey *>(lfirst(cell)), *input, base, &position);
        if (item.empty())
            return;
        order += (order.empty() ? "" : ", ") + item;
        keys.push_back(position);
    }
    for (std::size_t i = 0; i < input->items.size(); ++i) {
        const ScanItem &item = input->items[i];
        if (item.kind == ItemKind::GroupKey &&
            std::find(keys.begin(), keys.end(), static_cast<int>(i)) == keys.end())
            order += ", " + item.alias;
    }

    if (encoded_shape_bytes(input->plan.request.select, input->plan.request.group, order) >
        kMaxAggregateShapeBytes)
        return; // sorted by Postgres: the request would be too long to send
    UpperRelInfo candidate = *input;
    candidate.plan.request.order = order;
    // Cheaper than sorting locally (beyond add_path's 1% fuzz).
    add_upper_path(root, output_rel, std::move(candidate), root->upper_targets[UPPERREL_ORDERED],
                   input_rel->rows, kStartupCost - kPushedSortDiscount, root->sort_pathkeys);
}

} // namespace socrata::pg
