#include "fast_values.hpp"

#include "ascii_case.hpp"

#include <algorithm>
#include <cfloat>
#include <charconv>
#include <cstring>
#include <cmath>
#include <system_error>

namespace socrata {

namespace {

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool is_leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// The value of the digit s[i], or more than 9 if s[i] is not a digit (bytes below '0' wrap).
inline unsigned digit_at(const char *s, std::size_t i) {
    return static_cast<unsigned>(static_cast<unsigned char>(s[i])) - '0';
}

constexpr std::int64_t kPostgresEpochDays = 10957; // 2000-01-01 - 1970-01-01
constexpr std::int64_t kMicrosPerDay = 86400LL * 1000000LL;

// 15 digits: int64_div_fast_to_numeric multiplies by up to 1000 in an int64.
constexpr std::size_t kMaxDecimalDigits = 15;
// What a compact GeoJSON point holds around its two coordinates.
constexpr std::string_view kPointHead = R"({"type":"Point","coordinates":[)";
constexpr std::string_view kPointTail = "]}";

// A decimal "[-]digits[.digits]" of at most kMaxDecimalDigits digits in all, read in one pass:
// its digits as an integer and how many stand before and after the point. A point needs digits
// on both sides. Anything else: nullopt.
struct ShortDecimal {
    std::int64_t digits = 0;
    std::size_t int_digits = 0;
    std::size_t frac_digits = 0;
    bool negative = false;
    bool leading_zero = false; // more than one integer digit, the first a zero ("01")
};

// Inlined into each caller, which then drops what it does not use.
[[gnu::always_inline]] inline std::optional<ShortDecimal>
read_short_decimal(std::string_view text) {
    const char *p = text.data();
    const char *const end = p + text.size();
    ShortDecimal d;
    d.negative = p != end && *p == '-';
    if (d.negative)
        ++p;
    if (end - p > static_cast<std::ptrdiff_t>(kMaxDecimalDigits) + 1) // digits and a point
        return std::nullopt;
    const char *const int_start = p;
    for (; p != end && digit_at(p, 0) <= 9; ++p)
        d.digits = d.digits * 10 + digit_at(p, 0);
    d.int_digits = std::size_t(p - int_start);
    if (d.int_digits == 0)
        return std::nullopt;
    d.leading_zero = d.int_digits > 1 && *int_start == '0';
    if (p != end && *p == '.') {
        const char *const frac_start = ++p;
        for (; p != end && digit_at(p, 0) <= 9; ++p)
            d.digits = d.digits * 10 + digit_at(p, 0);
        d.frac_digits = std::size_t(p - frac_start);
        if (d.frac_digits == 0)
            return std::nullopt;
    }
    if (p != end || d.int_digits + d.frac_digits > kMaxDecimalDigits)
        return std::nullopt;
    return d;
}

// Clinger's fast path: a short decimal is digits / 10^scale with both an exact double (below
// 2^53 and 10^22), and one IEEE division rounds the exact quotient correctly, so this is the
// double strtod and from_chars give, at a fraction of the cost (latitude and longitude are in
// every crimes row). Anything else: nullopt.
std::optional<double> exact_short_decimal(std::string_view text) {
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
    // Division in a wider type (x87) would round twice: leave it all to from_chars.
    (void)text;
    return std::nullopt;
#else
    static constexpr double kPowersOf10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                             1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const auto d = read_short_decimal(text);
    if (!d)
        return std::nullopt;
    const double value = static_cast<double>(d->digits) / kPowersOf10[d->frac_digits];
    return d->negative ? -value : value;
#endif
}

} // namespace

std::optional<std::int64_t> parse_floating_timestamp(std::string_view t) {
    // Fixed positions, read two digits at a time without a branch per digit (this runs twice
    // per crimes row).
    if (t.size() < 19 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':')
        return std::nullopt;
    const char *s = t.data();
    // Two digits at s[i], or a value above 99 if either is not a digit.
    auto two = [s](std::size_t i) {
        const unsigned tens = digit_at(s, i), ones = digit_at(s, i + 1);
        return tens > 9 || ones > 9 ? 100u : tens * 10 + ones;
    };
    const unsigned century = two(0), year_in_century = two(2);
    if (century > 99 || year_in_century > 99)
        return std::nullopt;
    const int year = static_cast<int>(century * 100 + year_in_century);
    // A pair that is not two digits reads 100: the range checks below refuse it.
    const int month = static_cast<int>(two(5)), day = static_cast<int>(two(8));
    const int hour = static_cast<int>(two(11)), minute = static_cast<int>(two(14));
    const int second = static_cast<int>(two(17));
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour > 23 || minute > 59 || second > 59)
        return std::nullopt;
    std::int64_t micros = 0;
    if (t.size() > 19) {
        if (t[19] != '.' || t.size() == 20 || t.size() > 26)
            return std::nullopt;
        // Microseconds per unit of a fraction of 1 to 6 digits.
        static constexpr std::int64_t kMicrosPerUnit[7] = {0, 100000, 10000, 1000, 100, 10, 1};
        std::int64_t fraction = 0;
        for (std::size_t i = 20; i < t.size(); ++i) {
            const unsigned d = digit_at(s, i);
            if (d > 9)
                return std::nullopt;
            fraction = fraction * 10 + d;
        }
        micros = fraction * kMicrosPerUnit[t.size() - 20];
    }
    std::int64_t days = days_from_civil(year, month, day) - kPostgresEpochDays;
    return days * kMicrosPerDay + ((hour * 60LL + minute) * 60 + second) * 1000000LL + micros;
}

std::optional<std::int64_t> parse_fixed_timestamp(std::string_view t) {
    if (t.empty() || t.back() != 'Z')
        return std::nullopt;
    t.remove_suffix(1);
    return parse_floating_timestamp(t);
}

std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t min,
                                          std::int64_t max) {
    if (text.empty() || text.size() > 20)
        return std::nullopt;
    bool negative = text[0] == '-';
    std::size_t i = negative ? 1 : 0;
    if (i == text.size())
        return std::nullopt;
    // Up to 18 digits cannot overflow: no check per digit (the common case, every id and code).
    if (text.size() - i <= 18) {
        std::int64_t value = 0;
        for (; i < text.size(); ++i) {
            const char c = text[i];
            if (c < '0' || c > '9')
                return std::nullopt;
            value = value * 10 + (c - '0');
        }
        if (negative)
            value = -value;
        if (value < min || value > max)
            return std::nullopt;
        return value;
    }
    // Accumulate negatively so INT64_MIN parses without overflow.
    std::int64_t value = 0;
    for (; i < text.size(); ++i) {
        char c = text[i];
        if (c < '0' || c > '9')
            return std::nullopt;
        int digit = c - '0';
        if (value < (INT64_MIN + digit) / 10)
            return std::nullopt;
        value = value * 10 - digit;
    }
    if (!negative) {
        if (value == INT64_MIN)
            return std::nullopt;
        value = -value;
    }
    if (value < min || value > max)
        return std::nullopt;
    return value;
}

std::optional<double> parse_double(std::string_view text) {
    if (auto exact = exact_short_decimal(text))
        return exact;
    // from_chars accepts "inf" and "nan" (float8in spells them out differently): digits only.
    if (text.empty() || text.size() > 64)
        return std::nullopt;
    for (char c : text)
        if (!(is_ascii_digit(c) || c == '.' || c == '-' || c == 'e' || c == 'E'))
            return std::nullopt;
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

std::optional<bool> parse_checkbox(std::string_view text) {
    if (text == "true")
        return true;
    if (text == "false")
        return false;
    return std::nullopt;
}

std::optional<ScaledDecimal> parse_plain_decimal(std::string_view text) {
    // One pass, reading digits as it checks them (twice per point of a crimes scan).
    const auto d = read_short_decimal(text);
    // JSON allows no leading zero ("01" is invalid JSON).
    if (!d || d->leading_zero)
        return std::nullopt;
    if (d->negative && d->digits == 0)
        return std::nullopt;
    return ScaledDecimal{d->negative ? -d->digits : d->digits, static_cast<int>(d->frac_digits)};
}

std::optional<std::array<ScaledDecimal, 2>> parse_compact_geojson_point(std::string_view text) {
    // memcmp of a constant length, which the compiler inlines (a string_view compare called
    // memcmp, a visible share of a full-row scan).
    if (text.size() <= kPointHead.size() + kPointTail.size() ||
        std::memcmp(text.data(), kPointHead.data(), kPointHead.size()) != 0 ||
        std::memcmp(text.data() + text.size() - kPointTail.size(), kPointTail.data(),
                    kPointTail.size()) != 0)
        return std::nullopt;
    const std::string_view pair =
        text.substr(kPointHead.size(), text.size() - kPointHead.size() - kPointTail.size());
    const std::size_t comma = pair.find(',');
    if (comma == std::string_view::npos)
        return std::nullopt;
    const auto x = parse_plain_decimal(pair.substr(0, comma));
    const auto y = parse_plain_decimal(pair.substr(comma + 1));
    if (!x || !y)
        return std::nullopt;
    return std::array<ScaledDecimal, 2>{*x, *y};
}

std::size_t compact_geojson_point_length(const char *p, const char *end) {
    // Checked, not parsed: the converter parses the coordinates (a parse here as well was a
    // twentieth of the fetch thread's instructions in a full-row scan).
    if (std::size_t(end - p) < kPointHead.size() ||
        std::memcmp(p, kPointHead.data(), kPointHead.size()) != 0)
        return 0;
    const char *q = p + kPointHead.size();
    std::size_t n = plain_json_number_length(q, end);
    if (n == 0 || q[n] != ',')
        return 0;
    q += n + 1;
    n = plain_json_number_length(q, end);
    if (n == 0)
        return 0;
    q += n;
    if (end - q < 2 || q[0] != ']' || q[1] != '}')
        return 0;
    return std::size_t(q + 2 - p);
}

} // namespace socrata
