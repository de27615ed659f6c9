// Runtime values converted in the session's time zone before a scan sends them
// (ValueConversion, deparse.hpp): the scan converts them when it starts, in the zone its own
// comparisons then use, which a prepared plan need not share with its planning.
#pragma once

#include "deparse.hpp"
#include "pg_headers.hpp"

#include <vector>

namespace socrata::pg {

// A value computed when a scan starts (fdw_exprs), or a constant, before any conversion.
struct RuntimeValue {
    Datum value;
    bool isnull;
    Oid type;
};

// Converts, in place, each value `conversions` names (a NULL stays NULL): a timestamptz into
// a local-time bound (timestamp; local_time_bounds.hpp, widened by the spread of the UTC
// offsets the session's zone applies near the instant, infinite where the zone cannot tell
// them), a timestamp or date into the instant Postgres reads it as in the session's zone
// (timestamptz; past timestamptz's range, an infinity, which compares with the portal's values
// as the value does).
void convert_runtime_values(std::vector<RuntimeValue> &values,
                            const std::vector<ConvertedValue> &conversions);

} // namespace socrata::pg
