// Pushing aggregates, their ORDER BY, and LIMIT/OFFSET down to Socrata: the planner's
// GetForeignUpperPaths stages, dispatched to aggregate_paths.cpp and limit_paths.cpp, and the
// plan of the chosen upper path.
//
// Modelled on postgres_fdw's add_foreign_grouping_paths / add_foreign_ordered_paths /
// add_foreign_final_paths. The upper relation's ForeignScan has scanrelid 0; its scan tuple is
// fdw_scan_tlist, whose columns are filled from the select items as the plan's slot_items and
// slot_divisors say. Its plan is made by upper_foreign_plan(), which get_foreign_plan() calls
// for upper relations.
#include "upper_paths.hpp"

#include "context_owned.hpp"
#include "fdw_callbacks.hpp"
#include "path_costs.hpp"

namespace socrata::pg {

bool is_socrata_rel(RelOptInfo *rel) {
    return rel && rel->fdwroutine &&
           rel->fdwroutine->GetForeignUpperPaths == get_foreign_upper_paths;
}

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

void append_scan_target(UpperRelInfo &upper, Expr *expr, char *name) {
    AttrNumber resno = static_cast<AttrNumber>(list_length(upper.scan_tlist) + 1);
    upper.scan_tlist = pg::call([&] {
        return lappend(upper.scan_tlist, makeTargetEntry(static_cast<Expr *>(copyObjectImpl(expr)),
                                                         resno, name, false));
    });
}

bool in_scan_tlist(const UpperRelInfo &upper, Expr *expr) {
    return pg::call([&] { return tlist_member(expr, upper.scan_tlist) != nullptr; });
}

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
