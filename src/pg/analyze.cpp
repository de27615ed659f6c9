// ANALYZE support: sample rows from the dataset so local statistics exist.
#include "fdw_callbacks.hpp"
#include "pg_guard.hpp"

namespace socrata::pg {

bool analyze_foreign_table(Relation, AcquireSampleRowsFunc *, BlockNumber *) {
    return false;
}

} // namespace socrata::pg
