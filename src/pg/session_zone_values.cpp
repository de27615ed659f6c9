#include "session_zone_values.hpp"

#include "pg_guard.hpp"

extern "C" {
#include "pgtime.h"
}

#include <algorithm>
#include <optional>

namespace socrata::pg {

namespace {

// How far from the instant the offsets are gathered. The offset Postgres gives a local time t is
// one in effect near its instant t - offset(t): at it, or at a transition it looks for from a
// day before (DetermineTimeZoneOffset, for times in a gap or an overlap). A t whose instant is
// outside the window compares with the instant the same way on either side of the bounds if
// the window reaches forward by the greatest difference between two offsets of the zone and
// back by the greatest offset and a day. Postgres accepts offsets of up to 167 hours (a POSIX
// zone such as 'FOO+167'): 334 and 191 hours, both under 15 days. Zones of the time zone
// database stay within 16 hours.
constexpr pg_time_t kWindowSeconds = 15 * SECS_PER_DAY;
// More transitions than any zone has in a month: past it, the zone is not believed.
constexpr int kMaxTransitions = 64;

// The least and greatest UTC offsets the session's time zone applies within the window around
// the instant, each transition's offset before and after it included; nullopt if the zone
// cannot tell.
std::optional<OffsetRange> session_offsets_near(TimestampTz instant) {
    return pg::call([&]() -> std::optional<OffsetRange> {
        const pg_time_t at = timestamptz_to_time_t(instant);
        const pg_time_t until = at + kWindowSeconds;
        pg_time_t from = at - kWindowSeconds;
        std::optional<OffsetRange> range;
        auto include = [&range](long offset) {
            if (!range)
                range = OffsetRange{offset, offset};
            range->least = std::min<std::int64_t>(range->least, offset);
            range->greatest = std::max<std::int64_t>(range->greatest, offset);
        };
        bool retried = false;
        for (int i = 0; i < kMaxTransitions; ++i) {
            long before = 0, after = 0;
            int before_dst = 0, after_dst = 0;
            pg_time_t boundary = 0;
            int found = pg_next_dst_boundary(&from, &before, &before_dst, &boundary, &after,
                                             &after_dst, session_timezone);
            if (found < 0)
                return std::nullopt;
            include(before); // in effect at `from`, and up to the boundary
            if (found == 0 && !retried) {
                // Asked exactly at the last transition the zone lists, it answers "no more"
                // even where a rule repeats after it; a second later it goes on by the rule.
                retried = true;
                from += 1;
                continue;
            }
            if (found == 0 || boundary > until)
                return range;
            include(after);
            from = boundary; // the next search starts after it
            retried = false;
        }
        return std::nullopt;
    });
}

// The least (BoundSide::Lower) or greatest (Upper) local time that compares with `instant` as
// the bound's comparison requires; infinite (no bound) when the zone cannot tell its offsets
// near the instant.
Timestamp local_time_bound_in_session_zone(TimestampTz instant, BoundSide side) {
    if (TIMESTAMP_NOT_FINITE(instant))
        return instant; // as infinite a bound, whatever the zone
    std::optional<OffsetRange> offsets = session_offsets_near(instant);
    if (!offsets)
        return side == BoundSide::Lower ? DT_NOBEGIN : DT_NOEND;
    Timestamp bound = local_time_bound(instant, *offsets, side);
    // Past Postgres's range on one side, the bound means that side's infinity
    // (local_time_bounds.hpp), which the literal then says.
    if (!TIMESTAMP_NOT_FINITE(bound) && !IS_VALID_TIMESTAMP(bound))
        bound = bound < 0 ? DT_NOBEGIN : DT_NOEND;
    return bound;
}

// Postgres's own conversion, as its timestamp-timestamptz and date-timestamptz comparisons make
// it: a value past timestamptz's range is beyond every finite instant, so its infinity.
TimestampTz instant_in_session_zone(Datum value, Oid type) {
    int overflow = 0;
    TimestampTz instant = pg::call([&] {
        return type == DATEOID
                   ? date2timestamptz_opt_overflow(DatumGetDateADT(value), &overflow)
                   : timestamp2timestamptz_opt_overflow(DatumGetTimestamp(value), &overflow);
    });
    if (overflow > 0)
        return DT_NOEND;
    if (overflow < 0)
        return DT_NOBEGIN;
    return instant;
}

void convert(RuntimeValue &v, ValueConversion conversion) {
    switch (conversion) {
    case ValueConversion::LowerLocalTime:
    case ValueConversion::UpperLocalTime: {
        BoundSide side =
            conversion == ValueConversion::LowerLocalTime ? BoundSide::Lower : BoundSide::Upper;
        v.value =
            TimestampGetDatum(local_time_bound_in_session_zone(DatumGetTimestampTz(v.value), side));
        v.type = TIMESTAMPOID;
        return;
    }
    case ValueConversion::SessionInstant:
        v.value = TimestampTzGetDatum(instant_in_session_zone(v.value, v.type));
        v.type = TIMESTAMPTZOID;
        return;
    }
}

} // namespace

void convert_runtime_values(std::vector<RuntimeValue> &values,
                            const std::vector<ConvertedValue> &conversions) {
    for (const ConvertedValue &converted : conversions) {
        RuntimeValue &v = values.at(static_cast<std::size_t>(converted.index));
        if (!v.isnull)
            convert(v, converted.conversion);
    }
}

} // namespace socrata::pg
