// What the upper-relation paths share: the planning info an upper relation pushed to Socrata
// carries to GetForeignPlan, and the helpers that build its scan tuple and its path.
// aggregate_paths.cpp adds the grouped and sorted relations, limit_paths.cpp the LIMIT/OFFSET
// ones; upper_paths.cpp dispatches the planner's stages to them and makes the plan.
#pragma once

#include "plan_state.hpp"

#include <string>
#include <vector>

namespace socrata::pg {

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

// Whether rel is planned by this wrapper (a foreign table of ours, or an upper relation over one).
bool is_socrata_rel(RelOptInfo *rel);

// Gives the upper relation candidate as its UpperRelInfo (read back by upper_foreign_plan)
// and offers the one foreign path that computes it.
void add_upper_path(PlannerInfo *root, RelOptInfo *output_rel, UpperRelInfo &&candidate,
                    PathTarget *target, double rows, Cost startup, List *pathkeys);

// Appends expr, named `name` (palloc'd), as the scan tuple's next column.
void append_scan_target(UpperRelInfo &upper, Expr *expr, char *name);

bool in_scan_tlist(const UpperRelInfo &upper, Expr *expr);

// The stages (aggregate_paths.cpp, limit_paths.cpp).
void add_grouping_paths(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel,
                        GroupPathExtraData *extra);
void add_ordered_paths(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel);
void add_final_paths(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel,
                     FinalPathExtraData *extra);

} // namespace socrata::pg
