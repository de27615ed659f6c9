// Local-time bounds for a timestamptz value compared with a timestamp column
// (local_time_bounds.hpp), in the session's time zone: a scan computes them when it starts,
// in the zone its own comparisons then use.
#pragma once

#include "local_time_bounds.hpp"
#include "pg_headers.hpp"

namespace socrata::pg {

// The least (BoundSide::Lower) or greatest (Upper) local time that compares with `instant` as
// the bound's comparison requires, widened by the spread of the UTC offsets the session's
// time zone applies near the instant. Infinite (no bound) when the zone cannot tell its
// offsets there.
Timestamp local_time_bound_in_session_zone(TimestampTz instant, BoundSide side);

} // namespace socrata::pg
