// Pushing aggregates (GROUP BY, count/sum/avg/min/max) and LIMIT/OFFSET down to Socrata.
//
// Modelled on postgres_fdw's add_foreign_grouping_paths / add_foreign_final_paths, restricted
// to what Socrata evaluates exactly as Postgres does:
//  - the input is one base foreign table whose WHERE clauses were all pushed ($where);
//  - GROUP BY plain columns or date_trunc('month'|'year', <timestamp column>)
//    (SoQL date_trunc_ym / date_trunc_y); no grouping sets, no HAVING;
//  - count(*), count(col) on any remotely usable column; sum only on exact number columns
//    (int2/4/8, numeric: float sums depend on the order of addition) over exact fields (not a
//    double, which the portal sums in floating point); avg of integer columns
//    as sum and count, divided locally as Postgres's avg divides; min/max on numbers and
//    timestamps, and on text only where text_code_point_order says the portal compares text by
//    code point, under the C collation;
//  - LIMIT/OFFSET only as constants, over the plain scan, its pushed ORDER BY, or a pushed
//    grouped aggregate.
//
// The upper relation's ForeignScan has scanrelid 0; its scan tuple is fdw_scan_tlist, whose
// columns are filled from the select items (aliased, "count(*) AS a1") as the plan's
// slot_items and slot_divisors say: an avg takes two items, its sum and its count ("a2_n").
// Its plan is made by upper_foreign_plan(), which get_foreign_plan() calls for upper relations.
#include "ascii_case.hpp"
#include "context_owned.hpp"
#include "fdw_callbacks.hpp"
#include "path_costs.hpp"
#include "plan_state.hpp"
#include "soql.hpp"

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

// What a pushed aggregate computes in one scan tuple column.
enum class ItemKind { GroupKey, Aggregate };

// One column of a pushed aggregate's scan tuple.
struct ScanItem {
    std::string alias; // the output name of its select item ("g1", "a2"...)
    ItemKind kind = ItemKind::Aggregate;
    bool divided = false; // an avg, computed locally as sum / count
};

// What an upper relation pushed to Socrata needs at GetForeignPlan time.
struct UpperRelInfo {
    RelPlanInfo *base = nullptr; // the scanned table's planning info
    ScanPlan plan;
    List *scan_tlist = NIL;      // TargetEntry list: the scan tuple
    std::vector<ScanItem> items; // of an aggregate relation: scan tuple column i
    bool grouped = false;        // an aggregate relation (GROUP BY pushed or ungrouped aggregates)
};

bool is_ours(RelOptInfo *rel) {
    return rel && rel->fdwroutine &&
           rel->fdwroutine->GetForeignUpperPaths == get_foreign_upper_paths;
}

// Gives the upper relation candidate as its UpperRelInfo (read back by upper_foreign_plan)
// and offers the one foreign path that computes it.
void add_upper_path(PlannerInfo *root, RelOptInfo *output_rel, UpperRelInfo &&candidate,
                    PathTarget *target, double rows, Cost startup, List *pathkeys) {
    auto *upper = new_context_owned<UpperRelInfo>(CurrentMemoryContext);
    output_rel->fdw_private = upper;
    *upper = std::move(candidate);
    Cost total = startup + rows * kPerRowCost;
    pg::call([&] {
        add_path(output_rel,
                 reinterpret_cast<Path *>(create_foreign_upper_path(
                     root, output_rel, target, rows, startup, total, pathkeys, nullptr, NIL)));
    });
}

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
    expr = strip_relabel(expr);
    if (IsA(expr, Var)) {
        RemoteColumn column = column_of(expr, ctx);
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
    // column's avg is pushed as its sum and count (add_grouping_paths), and RowConverter divides
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

// Appends expr, named `name` (palloc'd), as the scan tuple's next column.
void append_scan_target(UpperRelInfo &upper, Expr *expr, char *name) {
    AttrNumber resno = static_cast<AttrNumber>(list_length(upper.scan_tlist) + 1);
    upper.scan_tlist = pg::call([&] {
        return lappend(upper.scan_tlist, makeTargetEntry(static_cast<Expr *>(copyObjectImpl(expr)),
                                                         resno, name, false));
    });
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

bool in_scan_tlist(const UpperRelInfo &upper, Expr *expr) {
    return pg::call([&] { return tlist_member(expr, upper.scan_tlist) != nullptr; });
}

void add_grouping_paths(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel,
                        GroupPathExtraData *extra) {
    Query *parse = root->parse;
    if (input_rel->reloptkind != RELOPT_BASEREL || !is_ours(input_rel) || !input_rel->fdw_private ||
        output_rel->fdw_private)
        return;
    auto *info = static_cast<RelPlanInfo *>(input_rel->fdw_private);
    if (info->local_conds != NIL || !info->remote)
        return;
    if (parse->groupingSets != NIL || root->hasHavingQual || parse->hasTargetSRFs ||
        extra->patype != PARTITIONWISE_AGGREGATE_NONE)
        return;

    DeparseContext ctx = deparse_context_for(root, input_rel, *info);
    PathTarget *target = root->upper_targets[UPPERREL_GROUP_AGG];
    UpperRelInfo candidate;
    candidate.base = info;
    std::string group;

    // Grouping expressions first (they are in the target, resjunk or not).
    ListCell *cell;
    int i = 0;
    foreach (cell, target->exprs) {
        auto *expr = static_cast<Expr *>(lfirst(cell));
        Index sgref = get_pathtarget_sortgroupref(target, i++);
        if (sgref == 0 || !get_sortgroupref_clause_noerr(sgref, parse->groupClause))
            continue;
        std::string soql = deparse_group_expr(expr, ctx);
        if (soql.empty())
            return;
        if (in_scan_tlist(candidate, expr))
            continue;
        add_scan_item(candidate, expr, soql, ItemKind::GroupKey);
        group += (group.empty() ? "" : ", ") + soql;
    }
    // Then the aggregates, also those inside expressions (count(*) + 1): Postgres computes
    // the expression over the pushed aggregate.
    i = 0;
    foreach (cell, target->exprs) {
        auto *expr = static_cast<Expr *>(lfirst(cell));
        Index sgref = get_pathtarget_sortgroupref(target, i++);
        if (sgref != 0 && get_sortgroupref_clause_noerr(sgref, parse->groupClause))
            continue;
        List *vars = pg::call([&] {
            return pull_var_clause(reinterpret_cast<Node *>(expr), PVC_INCLUDE_AGGREGATES);
        });
        ListCell *vc;
        foreach (vc, vars) {
            auto *node = static_cast<Expr *>(lfirst(vc));
            if (IsA(node, Aggref)) {
                if (in_scan_tlist(candidate, node))
                    continue;
                auto *agg = reinterpret_cast<Aggref *>(node);
                std::string sum, count;
                if (avg_as_sum_and_count(agg, ctx, sum, count)) {
                    add_scan_item(candidate, node, sum, ItemKind::Aggregate, count);
                    continue;
                }
                std::string soql = deparse_aggregate(agg, ctx);
                if (soql.empty())
                    return;
                add_scan_item(candidate, node, soql, ItemKind::Aggregate);
            } else if (!in_scan_tlist(candidate, node)) {
                return; // a column outside the grouping keys (functionally dependent): local
            }
        }
    }
    if (candidate.plan.request.select.empty())
        return;

    candidate.plan.request.where = info->where;
    candidate.plan.request.group = group;
    candidate.plan.request.order = group; // offset paging needs a stable order of the groups
    if (encoded_shape_bytes(candidate.plan.request.select, group, candidate.plan.request.order) >
        kMaxAggregateShapeBytes)
        return; // the request would be too long to send
    candidate.plan.request.keyset = false;
    candidate.plan.dataset_label = info->table.settings.dataset;
    candidate.grouped = true;

    double rows = 1;
    if (!group.empty()) {
        List *group_exprs = pg::call(
            [&] { return get_sortgrouplist_exprs(parse->groupClause, parse->targetList); });
        rows = pg::call([&] {
            return estimate_num_groups(root, group_exprs, input_rel->rows, nullptr, nullptr);
        });
    }
    add_upper_path(root, output_rel, std::move(candidate), target, rows, kStartupCost, NIL);
}

// Whether Socrata orders a text output of the pushed aggregate as Postgres does under
// `collation`: a grouping column whose order is the portal's (text_order_is_remote), or a
// min/max, which was pushed only for such a column.
bool text_key_is_remote(Expr *output, const DeparseContext &base, Oid collation) {
    if (IsA(output, Var))
        return text_order_is_remote(base, reinterpret_cast<Var *>(output)->varattno, collation);
    return text_compares_by_code_point(base, collation);
}

// ORDER BY over a pushed aggregate: sort by the output aliases ("a2 DESC, g1 ASC"), then by
// the grouping keys so offset paging sees one total order.
void add_ordered_paths(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel) {
    if (input_rel->reloptkind != RELOPT_UPPER_REL || !is_ours(input_rel) ||
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
        auto *key = static_cast<PathKey *>(lfirst(cell));
        EquivalenceClass *ec = key->pk_eclass;
        int position = -1;
        Expr *found = nullptr;
        ListCell *member_cell;
        foreach (member_cell, ec->ec_members) {
            auto *member = static_cast<EquivalenceMember *>(lfirst(member_cell));
            Expr *e = strip_relabel(member->em_expr);
            int i = 0;
            ListCell *tc;
            foreach (tc, input->scan_tlist) {
                auto *tle = static_cast<TargetEntry *>(lfirst(tc));
                if (pg::call([&] { return equal(strip_relabel(tle->expr), e); })) {
                    position = i;
                    found = tle->expr;
                    break;
                }
                ++i;
            }
            if (position >= 0)
                break;
        }
        if (position < 0)
            return;
        Oid type = pg::call([&] { return exprType(reinterpret_cast<Node *>(found)); });
        if (is_text(type) ? !text_key_is_remote(strip_relabel(found), base, ec->ec_collation)
                          : !(is_number(type) || is_timestamp(type) || type == BOOLOID))
            return;
        bool descending;
        if (!default_btree_order(key, type, &descending))
            return;
        const ScanItem &item = input->items[position];
        // An avg is computed locally from a sum and a count: Socrata cannot sort by it.
        if (item.divided)
            return;
        order += (order.empty() ? "" : ", ") + item.alias + (descending ? " DESC" : " ASC");
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

// The value of a constant LIMIT/OFFSET expression: false if not a constant.
bool constant_int8(Node *node, std::int64_t &value, std::int64_t if_null) {
    if (!node) {
        value = if_null;
        return true;
    }
    node = reinterpret_cast<Node *>(strip_relabel(reinterpret_cast<Expr *>(node)));
    if (!IsA(node, Const))
        return false;
    auto *c = reinterpret_cast<Const *>(node);
    if (c->consttype != INT8OID)
        return false;
    value = c->constisnull ? if_null : DatumGetInt64(c->constvalue);
    return value >= 0 || c->constisnull;
}

// The final relation's path for a pushed LIMIT/OFFSET (both already in candidate's request).
void add_limit_path(PlannerInfo *root, RelOptInfo *output_rel, UpperRelInfo &&candidate,
                    double input_rows, Cost startup) {
    const ScanRequest &request = candidate.plan.request;
    double rows = std::max(1.0, input_rows - static_cast<double>(request.offset));
    if (request.limit >= 0)
        rows = std::max(1.0, std::min<double>(rows, request.limit));
    add_upper_path(root, output_rel, std::move(candidate), root->upper_targets[UPPERREL_FINAL],
                   rows, startup, root->sort_pathkeys);
}

void add_final_paths(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel,
                     FinalPathExtraData *extra) {
    Query *parse = root->parse;
    if (!extra->limit_needed || parse->commandType != CMD_SELECT || parse->rowMarks != NIL ||
        parse->hasTargetSRFs || parse->limitOption != LIMIT_OPTION_COUNT || output_rel->fdw_private)
        return;
    std::int64_t limit = -1, offset = 0;
    if (!constant_int8(parse->limitCount, limit, -1) ||
        !constant_int8(parse->limitOffset, offset, 0))
        return;

    // Over a pushed aggregate (sorted by Socrata when the query has an ORDER BY).
    if (input_rel->reloptkind == RELOPT_UPPER_REL && is_ours(input_rel) && input_rel->fdw_private) {
        auto *input = static_cast<UpperRelInfo *>(input_rel->fdw_private);
        if (!input->grouped || input->plan.request.group.empty() ||
            (root->sort_pathkeys != NIL && input->plan.request.order == input->plan.request.group))
            return;
        UpperRelInfo candidate = *input;
        candidate.plan.request.limit = limit;
        candidate.plan.request.offset = offset;
        add_limit_path(root, output_rel, std::move(candidate), input_rel->rows,
                       kStartupCost - kPushedLimitOverAggregateDiscount);
        return;
    }

    // The scan of the base foreign table that produces the rows (sorted by Socrata when the
    // query has an ORDER BY), possibly under a projection.
    ForeignPath *scan = nullptr;
    ListCell *cell;
    foreach (cell, input_rel->pathlist) {
        auto *path = static_cast<Path *>(lfirst(cell));
        if (IsA(path, ProjectionPath))
            path = reinterpret_cast<ProjectionPath *>(path)->subpath;
        if (!IsA(path, ForeignPath) || path->parent->reloptkind != RELOPT_BASEREL ||
            !is_ours(path->parent) || !path->parent->fdw_private)
            continue;
        auto *fpath = reinterpret_cast<ForeignPath *>(path);
        if (root->sort_pathkeys != NIL) {
            if (fpath->fdw_private == NIL || !pg::call([&] {
                    return pathkeys_contained_in(root->sort_pathkeys, path->pathkeys);
                }))
                continue;
        } else if (fpath->fdw_private != NIL) {
            continue;
        }
        scan = fpath;
        break;
    }
    if (!scan)
        return;
    RelOptInfo *base = scan->path.parent;
    auto *info = static_cast<RelPlanInfo *>(base->fdw_private);
    if (info->local_conds != NIL)
        return;

    UpperRelInfo candidate;
    candidate.base = info;
    ScanPlan &plan = candidate.plan;
    plan.request.where = info->where;
    plan.null_rejecting_values = info->null_rejecting_values;
    plan.request.limit = limit;
    plan.request.offset = offset;
    plan.dataset_label = info->table.settings.dataset;
    if (scan->fdw_private != NIL) {
        plan.request.order = strVal(linitial(scan->fdw_private));
        plan.request.keyset = false;
    }
    // The scan tuple: the base relation's columns the query uses; expressions over them
    // (the final target) are computed by the scan's projection.
    List *vars = pg::call(
        [&] { return pull_var_clause(reinterpret_cast<Node *>(base->reltarget->exprs), 0); });
    std::vector<std::string> fields;
    bool into_json = false;
    foreach (cell, vars) {
        auto *expr = static_cast<Expr *>(lfirst(cell));
        if (!IsA(expr, Var))
            return;
        auto *var = reinterpret_cast<Var *>(expr);
        if (static_cast<Index>(var->varno) != base->relid || var->varattno <= 0 ||
            var->varattno > static_cast<AttrNumber>(info->table.columns.size()))
            return;
        const ColumnInfo &col = info->table.columns[var->varattno - 1];
        if (col.dropped || in_scan_tlist(candidate, expr))
            continue;
        int position = list_length(candidate.scan_tlist);
        plan.add_column(soql_field(info->table, col), position);
        fields.push_back(col.field);
        into_json = into_json || col.takes_json();
        append_scan_target(candidate, expr, pg::call([&] { return pstrdup(col.name.c_str()); }));
    }

    choose_response_form(plan.request, info->table, info->remote.get(), fields, into_json);

    // Cheaper than Limit over the scan: Socrata stops after the rows asked for.
    add_limit_path(root, output_rel, std::move(candidate), base->rows,
                   kStartupCost - kPushedLimitDiscount);
}

} // namespace

ForeignScan *upper_foreign_plan(PlannerInfo *, RelOptInfo *rel, Oid, ForeignPath *, List *tlist,
                                List *, Plan *outer_plan) {
    return pg::entry([&]() -> ForeignScan * {
        auto *upper = static_cast<UpperRelInfo *>(rel->fdw_private);
        List *fdw_private = scan_plan_to_list(upper->plan);
        List *runtime_values = upper->base->runtime_values;
        List *scan_tlist = upper->scan_tlist;
        return pg::call([&] {
            return make_foreignscan(
                tlist, NIL, 0, static_cast<List *>(copyObjectImpl(runtime_values)), fdw_private,
                static_cast<List *>(copyObjectImpl(scan_tlist)), NIL, outer_plan);
        });
    });
}

void get_foreign_upper_paths(PlannerInfo *root, UpperRelationKind stage, RelOptInfo *input_rel,
                             RelOptInfo *output_rel, void *extra) {
    pg::entry([&] {
        if (stage == UPPERREL_GROUP_AGG)
            add_grouping_paths(root, input_rel, output_rel,
                               static_cast<GroupPathExtraData *>(extra));
        else if (stage == UPPERREL_ORDERED)
            add_ordered_paths(root, input_rel, output_rel);
        else if (stage == UPPERREL_FINAL)
            add_final_paths(root, input_rel, output_rel, static_cast<FinalPathExtraData *>(extra));
    });
}

} // namespace socrata::pg
