// Word-at-a-time scanning for the decoders' hot loops: finding the next byte that needs
// attention sixteen (SSE2) or eight bytes per step instead of one is most of the decoders' speed.
// The bit tricks flag a byte exactly when it is the first match; bytes after a match may be
// flagged falsely (borrow propagation), which is harmless because only the first is used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__) // every x86-64 CPU
#include <emmintrin.h>
#endif

namespace socrata {

namespace byte_scan_detail {

constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighs = 0x8080808080808080ull;

inline std::uint64_t load8(const char *p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

// High bit set in each byte equal to b (exact for the lowest flagged byte).
inline std::uint64_t bytes_equal(std::uint64_t v, unsigned char b) noexcept {
    const std::uint64_t x = v ^ (kOnes * b);
    return (x - kOnes) & ~x & kHighs;
}

// High bit set in each byte below n, for n <= 128 (exact for the lowest flagged byte).
inline std::uint64_t bytes_below(std::uint64_t v, unsigned char n) noexcept {
    return (v - kOnes * n) & ~v & kHighs;
}

inline const char *first_flagged(const char *p, std::uint64_t mask) noexcept {
    return p + (__builtin_ctzll(mask) >> 3);
}

constexpr bool kLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

#if defined(__SSE2__)
// Sixteen bytes per step where the CPU has SSE2: exact, one compare per class of byte. As
// signed bytes, non-ASCII (0x80 and up) is negative, so "below n" flags it too.
inline __m128i load16(const char *p) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
}
inline __m128i equal16(__m128i v, char b) noexcept {
    return _mm_cmpeq_epi8(v, _mm_set1_epi8(b));
}
inline __m128i below16_or_non_ascii(__m128i v, char n) noexcept {
    return _mm_cmplt_epi8(v, _mm_set1_epi8(n));
}
// The first of the 16 bytes at p flagged in m, or nullptr if none is.
inline const char *first_flagged16(const char *p, __m128i m) noexcept {
    const int bits = _mm_movemask_epi8(m);
    return bits != 0 ? p + __builtin_ctz(static_cast<unsigned>(bits)) : nullptr;
}
#endif

} // namespace byte_scan_detail

// Whether the n bytes at a and b are equal: for the short names the decoders match per value,
// word loads (the last one overlapping) beat a call to memcmp.
inline bool same_bytes(const char *a, const char *b, std::size_t n) noexcept {
    using byte_scan_detail::load8;
    if (n >= 8) {
        for (std::size_t i = 0; i + 8 < n; i += 8)
            if (load8(a + i) != load8(b + i))
                return false;
        return load8(a + n - 8) == load8(b + n - 8);
    }
    if (n >= 4) {
        std::uint32_t x, y, u, v;
        std::memcpy(&x, a, 4);
        std::memcpy(&y, b, 4);
        std::memcpy(&u, a + n - 4, 4);
        std::memcpy(&v, b + n - 4, 4);
        return x == y && u == v;
    }
    for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i])
            return false;
    return true;
}

// First byte in [p, end) that is '"', '\\', a control character (< 0x20) or non-ASCII (>= 0x80),
// or end: everything a JSON string scanner must look at.
inline const char *find_json_string_special(const char *p, const char *end) noexcept {
    using namespace byte_scan_detail;
#if defined(__SSE2__)
    for (; end - p >= 16; p += 16) {
        const __m128i v = load16(p);
        const __m128i m = _mm_or_si128(_mm_or_si128(equal16(v, '"'), equal16(v, '\\')),
                                       below16_or_non_ascii(v, 0x20));
        if (const char *found = first_flagged16(p, m))
            return found;
    }
#endif
    if (kLittleEndian) {
        while (end - p >= 8) {
            const std::uint64_t v = load8(p);
            const std::uint64_t m =
                bytes_equal(v, '"') | bytes_equal(v, '\\') | bytes_below(v, 0x20) | (v & kHighs);
            if (m != 0)
                return first_flagged(p, m);
            p += 8;
        }
    }
    for (; p < end; ++p) {
        const unsigned char c = static_cast<unsigned char>(*p);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            return p;
    }
    return end;
}

// First byte in [p, end) that is the delimiter, '"', '\r', '\n', NUL or non-ASCII, or end:
// everything an unquoted CSV field scanner must look at.
inline const char *find_csv_unquoted_special(const char *p, const char *end,
                                             unsigned char delimiter) noexcept {
    using namespace byte_scan_detail;
#if defined(__SSE2__)
    for (; end - p >= 16; p += 16) {
        const __m128i v = load16(p);
        const __m128i m =
            _mm_or_si128(_mm_or_si128(equal16(v, static_cast<char>(delimiter)), equal16(v, '"')),
                         _mm_or_si128(_mm_or_si128(equal16(v, '\r'), equal16(v, '\n')),
                                      below16_or_non_ascii(v, 1)));
        if (const char *found = first_flagged16(p, m))
            return found;
    }
#endif
    if (kLittleEndian) {
        while (end - p >= 8) {
            const std::uint64_t v = load8(p);
            const std::uint64_t m = bytes_equal(v, delimiter) | bytes_equal(v, '"') |
                                    bytes_equal(v, '\r') | bytes_equal(v, '\n') |
                                    bytes_equal(v, 0) | (v & kHighs);
            if (m != 0)
                return first_flagged(p, m);
            p += 8;
        }
    }
    for (; p < end; ++p) {
        const unsigned char c = static_cast<unsigned char>(*p);
        if (c == delimiter || c == '"' || c == '\r' || c == '\n' || c == 0 || c >= 0x80)
            return p;
    }
    return end;
}

// First byte in [p, end) that is '"', NUL or non-ASCII, or end: what a quoted CSV field scanner
// must look at (delimiters and newlines are plain data inside quotes).
inline const char *find_csv_quoted_special(const char *p, const char *end) noexcept {
    using namespace byte_scan_detail;
#if defined(__SSE2__)
    for (; end - p >= 16; p += 16) {
        const __m128i v = load16(p);
        const __m128i m = _mm_or_si128(equal16(v, '"'), below16_or_non_ascii(v, 1));
        if (const char *found = first_flagged16(p, m))
            return found;
    }
#endif
    if (kLittleEndian) {
        while (end - p >= 8) {
            const std::uint64_t v = load8(p);
            const std::uint64_t m = bytes_equal(v, '"') | bytes_equal(v, 0) | (v & kHighs);
            if (m != 0)
                return first_flagged(p, m);
            p += 8;
        }
    }
    for (; p < end; ++p) {
        const unsigned char c = static_cast<unsigned char>(*p);
        if (c == '"' || c == 0 || c >= 0x80)
            return p;
    }
    return end;
}

} // namespace socrata
