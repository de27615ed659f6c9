// Pushing aggregates (GROUP BY, count/sum/avg/min/max) and LIMIT down to Socrata.
#include "fdw_callbacks.hpp"
#include "pg_guard.hpp"

namespace socrata::pg {

void get_foreign_upper_paths(PlannerInfo *, UpperRelationKind, RelOptInfo *, RelOptInfo *,
                             void *) {
    // Not pushed yet: Postgres aggregates the scanned rows itself.
}

} // namespace socrata::pg
