// What the planner decides about one foreign scan and how it travels to the executor.
// RelPlanInfo lives in RelOptInfo.fdw_private during planning; the plan itself carries only
// copyable Postgres nodes (fdw_private list + fdw_exprs), so prepared plans work.
#pragma once

#include "deparse.hpp"
#include "scan_request.hpp"

namespace socrata::pg {

struct RelPlanInfo {
    ForeignTableInfo table;
    const RemoteSchema *remote = nullptr;
    List *remote_conds = NIL; // RestrictInfos sent as $where
    List *local_conds = NIL;  // RestrictInfos evaluated by Postgres
    List *runtime_values = NIL;
    std::string where;
    Bitmapset *attrs_used = nullptr; // columns the query needs (offset by FirstLowInvalid...)
    double rows = 0;
    bool is_upper = false; // a grouped (aggregate) relation
};

// The executor's view of the plan: the request and, per select slot, the 0-based column of
// the scan tuple it fills.
struct ScanPlan {
    ScanRequest request;
    std::vector<int> slot_columns;
    std::string dataset_label; // for EXPLAIN and messages
};

List *scan_plan_to_list(const ScanPlan &plan);
ScanPlan scan_plan_from_list(List *list);

} // namespace socrata::pg
