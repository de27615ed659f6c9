// A timestamp column compared with a timestamptz value (`date > now() - interval '30 days'`).
//
// Postgres reads each local time t of the column as an instant in the session's time zone,
// t - offset(t), and compares instants. Around a daylight-saving change no single local time
// splits the column's values as that comparison does (local times in a skipped hour read as
// instants after the ones just past it), so the comparison itself cannot be sent to the portal.
// A wider one can: if every UTC offset the zone applies near the instant b lies between
// `least` and `greatest`, then t - offset(t) > b implies t > b + least (b's UTC wall-clock
// time moved by the offset), and t - offset(t) < b implies t < b + greatest. The portal
// filters with those bounds, and Postgres keeps the comparison as a filter on the rows that
// come back: the answer is exact, and only rows within the offsets' spread of the bound travel
// needlessly (none where the zone keeps one offset around b).
#pragma once

#include "soql_comparison.hpp"

#include <cstdint>
#include <vector>

namespace socrata {

// UTC offsets in seconds east of UTC, as Postgres's tm_gmtoff: local time = UTC + offset.
struct OffsetRange {
    std::int64_t least = 0;
    std::int64_t greatest = 0;
};

enum class BoundSide { Lower, Upper };

// One comparison of the column with a bound: `column op bound(side)`.
struct BoundComparison {
    CompareOp op;
    BoundSide side;
};

// The comparisons with local-time bounds that every local time t with `t op b` satisfies
// (t on the left): a lower bound for `>` and `>=`, an upper one for `<` and `<=`, both for `=`,
// none for `<>`, which no bound narrows.
std::vector<BoundComparison> bound_comparisons(CompareOp op);

// The bound on one side for the instant b, in Postgres's microseconds (TimestampTz and
// Timestamp; INT64_MIN and INT64_MAX are -infinity and infinity): b + least or b + greatest,
// infinite when b is, and saturated to infinity when the sum leaves the int64 range. (A
// result outside Postgres's range of timestamps means the same as the infinity on its side:
// no local time lies beyond it.)
std::int64_t local_time_bound(std::int64_t instant, const OffsetRange &offsets, BoundSide side);

} // namespace socrata
