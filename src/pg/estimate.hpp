// Row estimates for the planner: a remote count(*) per scan shape when use_remote_estimate is
// on (cached per backend: src/core/expiring_cache.hpp), else the local statistics from ANALYZE,
// else a default.
#pragma once

#include "plan_state.hpp"
#include "soda_client.hpp"

namespace socrata::pg {

double estimate_rows(PlannerInfo *root, RelOptInfo *baserel, const RelPlanInfo &info);

// The table's rows before any condition: ANALYZE's count (0 for a dataset it found empty),
// else a default. The planner's parameterized paths apply every condition to it.
double table_rows(const RelOptInfo *baserel);

// count(*) of the dataset's rows matching `where` (SoQL, may be empty), cached per backend for
// up to 10 minutes (at most 256 of them).
double remote_row_count(const ScanSettings &settings, const std::string &where);

} // namespace socrata::pg
