// The bytes PostgreSQL stores for the numeric digits / 10^scale, in numeric's short format, so
// that a converter can write a numeric in place instead of building it through numeric.c's
// NumericVar (a palloc, a pfree and a second copy per value: int64_div_fast_to_numeric was a
// twentieth of a full-row scan's instructions, two per GeoJSON point). The format is on disk,
// hence fixed; numeric.c is where it is defined (NumericShort, make_result), and the layout
// below follows it. pg_regress 09 compares the bytes with numeric_in's.
//   varlena header (4 bytes, written by the caller)
//   uint16 header: 0x8000 (short), 0x2000 if negative, scale << 7, weight in 7 bits
//   uint16 digits in base 10000, the most significant first, trailing zero digits left out
// where weight is the power of 10000 of the first digit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace socrata {

struct NumericLayout {
    // The short header, then the digits: up to three zeros are appended to an int64's
    // magnitude (to align the decimal point with the base) only while it fits 64 bits, so at
    // most 20 decimal digits, 5 base-10000 digits.
    std::uint16_t words[6];
    std::size_t count = 0; // words used, header included

    std::size_t bytes() const noexcept { return count * sizeof(std::uint16_t); }
};

// Lays out digits / 10^scale with that scale (the display scale numeric_in gives the same
// spelling). False if the short format cannot hold it (a scale over 63, a weight out of
// [-64, 63]), if scale is negative, or if the magnitude with its zeros appended passes 64 bits
// (INT64_MAX at scale 1): the caller then asks numeric.c.
bool numeric_layout(std::int64_t digits, int scale, NumericLayout &out) noexcept;

} // namespace socrata
