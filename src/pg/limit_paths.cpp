// Pushing LIMIT/OFFSET down to Socrata ($limit, $offset): only constants, over the plain scan
// of one foreign table whose WHERE clauses were all pushed (sorted by the portal when the query
// has an ORDER BY), or over a pushed grouped aggregate.
#include "path_costs.hpp"
#include "pg_guard.hpp"
#include "upper_paths.hpp"

#include <algorithm>

namespace socrata::pg {

namespace {

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

// LIMIT over a pushed grouped aggregate (sorted by Socrata when the query has an ORDER BY).
void add_limit_over_aggregate(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel,
                              std::int64_t limit, std::int64_t offset) {
    auto *input = static_cast<UpperRelInfo *>(input_rel->fdw_private);
    if (!input->grouped || input->plan.request.group.empty() ||
        (root->sort_pathkeys != NIL && input->plan.request.order == input->plan.request.group))
        return;
    UpperRelInfo candidate = *input;
    candidate.plan.request.limit = limit;
    candidate.plan.request.offset = offset;
    add_limit_path(root, output_rel, std::move(candidate), input_rel->rows,
                   kStartupCost - kPushedLimitOverAggregateDiscount);
}

// The path of a base foreign table's scan that produces the query's rows (sorted by Socrata
// when the query has an ORDER BY), possibly under a projection; null if there is none.
ForeignPath *limitable_scan(PlannerInfo *root, RelOptInfo *input_rel) {
    ListCell *cell;
    foreach (cell, input_rel->pathlist) {
        auto *path = static_cast<Path *>(lfirst(cell));
        if (IsA(path, ProjectionPath))
            path = reinterpret_cast<ProjectionPath *>(path)->subpath;
        if (!IsA(path, ForeignPath) || path->parent->reloptkind != RELOPT_BASEREL ||
            !is_socrata_rel(path->parent) || !path->parent->fdw_private)
            continue;
        auto *fpath = reinterpret_cast<ForeignPath *>(path);
        bool sorted = fpath->fdw_private != NIL; // it holds the $order the portal sorts by
        if (root->sort_pathkeys == NIL) {
            if (!sorted)
                return fpath;
        } else if (sorted && pg::call([&] {
                       return pathkeys_contained_in(root->sort_pathkeys, path->pathkeys);
                   })) {
            return fpath;
        }
    }
    return nullptr;
}

// The scan tuple: the base relation's columns the query uses; expressions over them (the final
// target) are computed by the scan's projection. False if the target reads something else.
bool add_scan_columns(RelOptInfo *base, const RelPlanInfo &info, UpperRelInfo &candidate) {
    ScanPlan &plan = candidate.plan;
    List *vars = pg::call(
        [&] { return pull_var_clause(reinterpret_cast<Node *>(base->reltarget->exprs), 0); });
    RowScanColumns columns(plan, info.table);
    ListCell *cell;
    foreach (cell, vars) {
        auto *expr = static_cast<Expr *>(lfirst(cell));
        if (!IsA(expr, Var))
            return false;
        auto *var = reinterpret_cast<Var *>(expr);
        if (static_cast<Index>(var->varno) != base->relid || var->varattno <= 0 ||
            var->varattno > static_cast<AttrNumber>(info.table.columns.size()))
            return false;
        const ColumnInfo &col = info.table.columns[var->varattno - 1];
        if (col.dropped || in_scan_tlist(candidate, expr))
            continue;
        columns.add(col, list_length(candidate.scan_tlist));
        append_scan_target(candidate, expr, pg::call([&] { return pstrdup(col.name.c_str()); }));
    }
    columns.choose_response_form(info.remote.get());
    return true;
}

} // namespace

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
    if (input_rel->reloptkind == RELOPT_UPPER_REL && is_socrata_rel(input_rel) &&
        input_rel->fdw_private) {
        add_limit_over_aggregate(root, input_rel, output_rel, limit, offset);
        return;
    }

    ForeignPath *scan = limitable_scan(root, input_rel);
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
    plan.converted_values = info->converted_values;
    plan.request.limit = limit;
    plan.request.offset = offset;
    plan.dataset_label = info->table.settings.dataset;
    if (scan->fdw_private != NIL) {
        plan.request.order = strVal(linitial(scan->fdw_private));
        plan.request.keyset = false;
    }
    if (!add_scan_columns(base, *info, candidate))
        return;
    // Cheaper than Limit over the scan: Socrata stops after the rows asked for.
    add_limit_path(root, output_rel, std::move(candidate), base->rows,
                   kStartupCost - kPushedLimitDiscount);
}

} // namespace socrata::pg
