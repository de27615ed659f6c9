// Planner callbacks for scans of one foreign table: split the WHERE clauses into the part
// Socrata evaluates ($where) and the part Postgres does, offer sorted paths when the ORDER BY
// can be pushed, estimate sizes and build the ForeignScan node.
#include "context_owned.hpp"
#include "estimate.hpp"
#include "fdw_callbacks.hpp"
#include "path_costs.hpp"
#include "percent_encoding.hpp"
#include "plan_state.hpp"
#include "soql.hpp"
#include "table_error_context.hpp"

#include <algorithm>

namespace socrata::pg {

namespace {

// Deparses one whole condition of the scan into `where`. One that is a strict operator
// (every comparison pushed is) between a column and a runtime value is false for every row
// when the value is NULL: its value's index goes into null_rejecting.
bool deparse_whole_condition(Expr *clause, DeparseContext &ctx, BoundedConjunction &where,
                             std::vector<int> &null_rejecting) {
    int values_before = list_length(ctx.runtime_values);
    if (!deparse_condition_into(clause, ctx, where))
        return false;
    if (IsA(clause, OpExpr) && list_length(ctx.runtime_values) == values_before + 1 &&
        pg::call([&] { return op_strict(reinterpret_cast<OpExpr *>(clause)->opno); }))
        null_rejecting.push_back(values_before);
    return true;
}

// A condition that stays local may still narrow the request: its wider form is sent
// (deparse_widened_condition_into). Its operators are strict, so a NULL value matches no row.
// Returns whether it did.
bool narrow_by_local_condition(Expr *clause, DeparseContext &ctx, BoundedConjunction &where,
                               std::vector<int> &null_rejecting) {
    const int values_before = list_length(ctx.runtime_values);
    if (!deparse_widened_condition_into(clause, ctx, where))
        return false;
    if (pg::call([&] { return op_strict(reinterpret_cast<OpExpr *>(clause)->opno); }))
        for (int index = values_before; index < list_length(ctx.runtime_values); ++index)
            null_rejecting.push_back(index);
    return true;
}

void classify_conditions(PlannerInfo *root, RelOptInfo *baserel, RelPlanInfo &info) {
    DeparseContext ctx = deparse_context_for(root, baserel, info);
    BoundedConjunction where;
    ListCell *cell;
    foreach (cell, baserel->baserestrictinfo) {
        auto *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
        if (deparse_whole_condition(rinfo->clause, ctx, where, info.null_rejecting_values)) {
            info.remote_conds = pg::call([&] { return lappend(info.remote_conds, rinfo); });
        } else {
            info.local_conds = pg::call([&] { return lappend(info.local_conds, rinfo); });
            if (narrow_by_local_condition(rinfo->clause, ctx, where, info.null_rejecting_values))
                info.narrowed_conds = pg::call([&] { return lappend(info.narrowed_conds, rinfo); });
        }
    }
    info.where = where.text();
    info.runtime_values = ctx.runtime_values;
    info.converted_values = ctx.converted_values;
}

void collect_attrs_used(RelOptInfo *baserel, RelPlanInfo &info) {
    pg::call([&] {
        pull_varattnos(reinterpret_cast<Node *>(baserel->reltarget->exprs), baserel->relid,
                       &info.attrs_used);
        ListCell *cell;
        foreach (cell, info.local_conds) {
            auto *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
            pull_varattnos(reinterpret_cast<Node *>(rinfo->clause), baserel->relid,
                           &info.attrs_used);
        }
    });
}

// generate_implied_equalities_for_column's callback: picks one expression of this relation
// among the equivalence-class members (the first not yet used), then only its equals.
struct EcMemberPick {
    Expr *current = nullptr;
    List *already_used = NIL;
};

bool pick_ec_member(PlannerInfo *, RelOptInfo *, EquivalenceClass *, EquivalenceMember *member,
                    void *arg) {
    auto *pick = static_cast<EcMemberPick *>(arg);
    if (pick->current)
        return equal(member->em_expr, pick->current);
    if (list_member(pick->already_used, member->em_expr))
        return false;
    pick->current = member->em_expr;
    return true;
}

// The join clauses a scan of baserel could enforce itself, given the other relations' values:
// the explicit ones (joininfo) and the equalities implied by equivalence classes (`USING (id)`
// or `a.id = b.id` lands there, not in joininfo).
List *movable_join_clauses(PlannerInfo *root, RelOptInfo *baserel) {
    return pg::call([&] {
        List *clauses = NIL;
        ListCell *cell;
        foreach (cell, baserel->joininfo) {
            auto *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
            if (join_clause_is_movable_to(rinfo, baserel))
                clauses = lappend(clauses, rinfo);
        }
        if (!baserel->has_eclass_joins)
            return clauses;
        EcMemberPick pick;
        for (;;) {
            pick.current = nullptr;
            List *implied = generate_implied_equalities_for_column(
                root, baserel, pick_ec_member, &pick, baserel->lateral_referencers);
            if (!pick.current)
                break;
            foreach (cell, implied) {
                auto *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
                if (join_clause_is_movable_to(rinfo, baserel))
                    clauses = list_append_unique_ptr(clauses, rinfo);
            }
            pick.already_used = lappend(pick.already_used, pick.current);
        }
        return clauses;
    });
}

// Parameterized paths, as postgres_fdw offers them: for each set of outer relations whose
// columns a join clause compares with one of ours in a way Socrata can evaluate, a path that
// takes their values per outer row. A nested loop over it sends one request per outer row, each
// bringing only the matching rows: for a few local rows against a large dataset, far less than
// one scan of the whole dataset. The costs let the planner weigh that (kStartupCost per
// request).
void add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel, const RelPlanInfo &info) {
    List *clauses = movable_join_clauses(root, baserel);
    List *param_infos = NIL;
    ListCell *cell;
    foreach (cell, clauses) {
        auto *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
        Relids required_outer = pg::call([&] {
            return bms_del_member(bms_union(rinfo->clause_relids, baserel->lateral_relids),
                                  baserel->relid);
        });
        if (bms_is_empty(required_outer))
            continue;
        DeparseContext ctx = deparse_context_for(root, baserel, info);
        ctx.outer_relids = required_outer;
        std::string soql;
        if (!deparse_condition(rinfo->clause, ctx, soql))
            continue;
        param_infos = pg::call([&] {
            return list_append_unique_ptr(param_infos,
                                          get_baserel_parampathinfo(root, baserel, required_outer));
        });
    }
    foreach (cell, param_infos) {
        auto *param_info = static_cast<ParamPathInfo *>(lfirst(cell));
        double rows = param_info->ppi_rows;
        pg::call([&] {
            add_path(baserel, reinterpret_cast<Path *>(create_foreignscan_path(
                                  root, baserel, nullptr, rows, kStartupCost,
                                  kStartupCost + rows * kPerRowCost, NIL, param_info->ppi_req_outer,
                                  nullptr, NIL)));
        });
    }
}

} // namespace

void get_foreign_rel_size(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid) {
    char *context_text = nullptr;
    pg::entry([&] {
        Oid userid = OidIsValid(baserel->userid) ? baserel->userid : GetUserId();
        auto *info = new_context_owned<RelPlanInfo>(CurrentMemoryContext);
        baserel->fdw_private = info;
        info->table = load_foreign_table(foreigntableid, userid);
        context_text = planning_table_context(info->table);
    });
    // The metadata and the remote count are requests to the portal, whose errors name a URL:
    // the line says which table of the query they were for. Around pg::entry(), as the scan.
    ErrorContextCallback context;
    push_error_context(context, context_text);
    pg::entry([&] {
        auto *info = static_cast<RelPlanInfo *>(baserel->fdw_private);
        info->remote = remote_schema_for(info->table.settings, SchemaUse::Planning);
        adopt_field_spellings(info->table, info->remote.get());
        classify_conditions(root, baserel, *info);
        collect_attrs_used(baserel, *info);

        baserel->rows = estimate_rows(root, baserel, *info);
        info->rows = baserel->rows;
        // Unfiltered: a parameterized path's estimate applies the conditions to it again (the
        // filtered estimate here counted them twice on a table never analyzed).
        baserel->tuples = std::max(table_rows(baserel), baserel->rows);
    });
    pop_error_context(context);
}

void get_foreign_paths(PlannerInfo *root, RelOptInfo *baserel, Oid) {
    pg::entry([&] {
        auto *info = static_cast<RelPlanInfo *>(baserel->fdw_private);
        Cost total = kStartupCost + baserel->rows * kPerRowCost;
        pg::call([&] {
            add_path(baserel, reinterpret_cast<Path *>(create_foreignscan_path(
                                  root, baserel, nullptr, baserel->rows, kStartupCost, total, NIL,
                                  baserel->lateral_relids, nullptr, NIL)));
        });
        add_parameterized_paths(root, baserel, *info);

        // A path sorted by Socrata, when the whole ORDER BY can be pushed.
        if (root->query_pathkeys == NIL)
            return;
        DeparseContext ctx = deparse_context_for(root, baserel, *info);
        std::string order = deparse_order(root->query_pathkeys, ctx);
        if (order.empty() || percent_encoded_size(order) > kMaxPushedOrderBytes)
            return;
        pg::call([&] {
            List *fdw_private = list_make1(makeString(pstrdup(order.c_str())));
            add_path(baserel, reinterpret_cast<Path *>(create_foreignscan_path(
                                  root, baserel, nullptr, baserel->rows, kStartupCost,
                                  total * kSortedScanFactor, root->query_pathkeys,
                                  baserel->lateral_relids, nullptr, fdw_private)));
        });
    });
}

ForeignScan *get_foreign_plan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
                              ForeignPath *best_path, List *tlist, List *scan_clauses,
                              Plan *outer_plan) {
    if (IS_UPPER_REL(baserel))
        return upper_foreign_plan(root, baserel, foreigntableid, best_path, tlist, scan_clauses,
                                  outer_plan);
    return pg::entry([&]() -> ForeignScan * {
        auto *info = static_cast<RelPlanInfo *>(baserel->fdw_private);

        // Conditions not sent to Socrata stay as the scan's local quals. A parameterized path
        // also brings the join clauses it enforces: sent if they can be, with the outer
        // relations' columns as runtime values (Postgres turns those into the nested loop's
        // parameters).
        DeparseContext ctx = deparse_context_for(root, baserel, *info);
        ctx.runtime_values = pg::call([&] { return list_copy(info->runtime_values); });
        ctx.converted_values = info->converted_values;
        ctx.outer_relids = PATH_REQ_OUTER(&best_path->path);
        BoundedConjunction where;
        where.add(info->where); // built within the same budget, so it fits
        ScanPlan plan;
        plan.null_rejecting_values = info->null_rejecting_values;
        List *local_quals = NIL;
        ListCell *cell;
        foreach (cell, scan_clauses) {
            auto *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
            if (pg::call([&] { return list_member_ptr(info->remote_conds, rinfo); }))
                continue;
            bool join_clause = !pg::call([&] { return list_member_ptr(info->local_conds, rinfo); });
            if (join_clause &&
                deparse_whole_condition(rinfo->clause, ctx, where, plan.null_rejecting_values))
                continue;
            local_quals = pg::call([&] { return lappend(local_quals, rinfo->clause); });
        }

        plan.request.where = where.text();
        plan.converted_values = ctx.converted_values; // the join clauses' too
        plan.dataset_label = info->table.settings.dataset;
        if (best_path->fdw_private != NIL) {
            plan.request.order = strVal(linitial(best_path->fdw_private));
            plan.request.keyset = false;
        }
        // A whole-row reference (attno 0) needs every column.
        bool whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, info->attrs_used);
        RowScanColumns columns(plan, info->table);
        for (const ColumnInfo &col : info->table.columns) {
            if (col.dropped ||
                (!whole_row &&
                 !bms_is_member(col.attnum - FirstLowInvalidHeapAttributeNumber, info->attrs_used)))
                continue;
            columns.add(col, col.attnum - 1);
        }
        columns.choose_response_form(info->remote.get());

        List *fdw_private = scan_plan_to_list(plan);
        return pg::call([&] {
            return make_foreignscan(tlist, local_quals, baserel->relid, ctx.runtime_values,
                                    fdw_private, NIL, NIL, outer_plan);
        });
    });
}

} // namespace socrata::pg
