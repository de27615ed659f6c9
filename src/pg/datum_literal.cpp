#include "datum_literal.hpp"

#include "ascii_case.hpp"
#include "database_encoding.hpp"
#include "error.hpp"
#include "pg_guard.hpp"
#include "soql.hpp"

extern "C" {
#include "utils/fmgroids.h"
}

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace socrata::pg {

namespace {

// A timestamp literal, to the millisecond, and where ts lies against the values a timestamp
// column can hold: those the portal sends, years 1 to 9999, whole milliseconds. A timestamp
// counts microseconds from 2000-01-01 00:00 with no zone, a timestamptz from 2000-01-01 00:00
// UTC: read the same way, the one is written as it is (floating), the other in UTC with the "Z"
// the portal's fixed timestamps carry.
enum class TimestampKind { Floating, Fixed };

ComparedValue timestamp_literal(Timestamp ts, TimestampKind kind) {
    if (TIMESTAMP_IS_NOBEGIN(ts))
        return {ComparedValue::Kind::BelowAll, {}};
    if (TIMESTAMP_IS_NOEND(ts))
        return {ComparedValue::Kind::AboveAll, {}};
    struct pg_tm tm;
    fsec_t fsec;
    int rc = pg::call([&] { return timestamp2tm(ts, nullptr, &tm, &fsec, nullptr, nullptr); });
    if (rc != 0)
        throw Error(ErrorKind::Conversion, "timestamp out of range");
    if (tm.tm_year < 1) // 1 BC is year 0
        return {ComparedValue::Kind::BelowAll, {}};
    if (tm.tm_year > 9999)
        return {ComparedValue::Kind::AboveAll, {}};
    char buf[64];
    snprintf(buf, sizeof buf, "'%04d-%02d-%02dT%02d:%02d:%02d.%03d%s'", tm.tm_year, tm.tm_mon,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(fsec / 1000),
             kind == TimestampKind::Fixed ? "Z" : "");
    return {fsec % 1000 == 0 ? ComparedValue::Kind::Exact : ComparedValue::Kind::Between, buf};
}

// The shortest digits that read back as d, whatever extra_float_digits says (float8out
// honours it, and with it set below zero would send a different number).
std::string float_literal(double d) {
    if (!std::isfinite(d))
        throw Error(ErrorKind::Conversion, "a non-finite number has no SoQL literal");
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    if (ec != std::errc())
        throw Error(ErrorKind::Conversion, "a number could not be written as a SoQL literal");
    return std::string(buf, end);
}

} // namespace

ComparedValue compared_value_for_datum(Datum value, bool isnull, Oid type) {
    if (isnull)
        return {ComparedValue::Kind::Exact, "null"};
    switch (type) {
    case BOOLOID:
        return {ComparedValue::Kind::Exact, DatumGetBool(value) ? "true" : "false"};
    case INT2OID:
        return {ComparedValue::Kind::Exact, std::to_string(DatumGetInt16(value))};
    case INT4OID:
        return {ComparedValue::Kind::Exact, std::to_string(DatumGetInt32(value))};
    case INT8OID:
        return {ComparedValue::Kind::Exact, std::to_string(DatumGetInt64(value))};
    case FLOAT4OID:
        return {ComparedValue::Kind::Exact, float_literal(DatumGetFloat4(value))};
    case FLOAT8OID:
        return {ComparedValue::Kind::Exact, float_literal(DatumGetFloat8(value))};
    case NUMERICOID: {
        char *digits = pg::call([&] { return OidOutputFunctionCall(F_NUMERIC_OUT, value); });
        if (!is_ascii_digit(digits[digits[0] == '-' ? 1 : 0]))
            throw Error(ErrorKind::Conversion, "a non-finite number has no SoQL literal");
        return {ComparedValue::Kind::Exact, digits};
    }
    case TEXTOID:
    case VARCHAROID: {
        // SoQL is UTF-8: in a LATIN1 database, "Ã©" is two bytes that spell "é" in UTF-8.
        char *chars = pg::call([&] { return TextDatumGetCString(value); });
        return {ComparedValue::Kind::Exact,
                quote_literal(utf8_from_database(chars, std::strlen(chars)))};
    }
    case TIMESTAMPOID:
        return timestamp_literal(DatumGetTimestamp(value), TimestampKind::Floating);
    case TIMESTAMPTZOID:
        return timestamp_literal(DatumGetTimestampTz(value), TimestampKind::Fixed);
    case DATEOID: {
        // A date past timestamp's range (294277 AD on) is later than every timestamp, as
        // Postgres's own timestamp-date comparisons take it; date_timestamp would raise.
        int overflow = 0;
        Timestamp ts = pg::call(
            [&] { return date2timestamp_opt_overflow(DatumGetDateADT(value), &overflow); });
        if (overflow > 0)
            return {ComparedValue::Kind::AboveAll, {}};
        if (overflow < 0)
            return {ComparedValue::Kind::BelowAll, {}};
        return timestamp_literal(ts, TimestampKind::Floating);
    }
    default:
        throw Error(ErrorKind::Conversion, "no SoQL literal for this type");
    }
}

} // namespace socrata::pg
