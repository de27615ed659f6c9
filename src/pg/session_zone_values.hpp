// Runtime values converted in the session's time zone before a scan sends them
// (ValueConversion, deparse.hpp): the scan converts them when it starts, in the zone its own
// comparisons then use, which a prepared plan need not share with its planning.
#pragma once

#include "deparse.hpp"
#include "pg_headers.hpp"

namespace socrata::pg {

// The least (BoundSide::Lower) or greatest (Upper) local time that compares with `instant` as
// the bound's comparison requires (local_time_bounds.hpp), widened by the spread of the UTC
// offsets the session's time zone applies near the instant. Infinite (no bound) when the zone
// cannot tell its offsets there.
Timestamp local_time_bound_in_session_zone(TimestampTz instant, BoundSide side);

// A value to send, with its type.
struct TypedValue {
    Datum value;
    Oid type;
};

// The value (non-null) of type `type` as the conversion turns it: a timestamptz into a local
// time bound (timestamp), a timestamp or date into the instant Postgres reads it as in the
// session's zone (timestamptz; past timestamptz's range, an infinity, which compares with the
// portal's values as the value does).
TypedValue convert_in_session_zone(Datum value, Oid type, ValueConversion conversion);

} // namespace socrata::pg
