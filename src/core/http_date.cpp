#include "http_date.hpp"

#include "ascii_case.hpp"

#include <string>
#include <vector>

namespace socrata {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
long long days_from_civil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long long>(doe) - 719468;
}

bool is_leap(long long y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(long long y, unsigned m) {
    static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

int month_number(std::string_view s) {
    static const char *kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int i = 0; i < 12; ++i)
        if (s == kMonths[i])
            return i + 1;
    return 0;
}

bool all_digits(std::string_view s) {
    if (s.empty())
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return true;
}

int to_int(std::string_view s) {
    int v = 0;
    for (char c : s)
        v = v * 10 + (c - '0');
    return v;
}

bool all_alpha(std::string_view s) {
    if (s.empty())
        return false;
    for (char c : s)
        if (!is_ascii_letter(c))
            return false;
    return true;
}

// "hh:mm:ss" -> seconds of the day.
std::optional<int> time_of_day(std::string_view s) {
    if (s.size() != 8 || s[2] != ':' || s[5] != ':')
        return std::nullopt;
    std::string_view h = s.substr(0, 2), m = s.substr(3, 2), sec = s.substr(6, 2);
    if (!all_digits(h) || !all_digits(m) || !all_digits(sec))
        return std::nullopt;
    const int hh = to_int(h), mm = to_int(m), ss = to_int(sec);
    if (hh > 23 || mm > 59 || ss > 60) // 60: leap second, as the grammar allows
        return std::nullopt;
    return hh * 3600 + mm * 60 + ss;
}

std::vector<std::string_view> tokens(std::string_view s, std::string_view seps) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && seps.find(s[i]) != std::string_view::npos)
            ++i;
        std::size_t j = i;
        while (j < s.size() && seps.find(s[j]) == std::string_view::npos)
            ++j;
        if (j > i)
            out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

} // namespace

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
    std::string_view wkday, day, mon, year, time;
    const std::vector<std::string_view> t = tokens(text, " ,-");
    if (t.size() == 6 && t[5] == "GMT") { // IMF-fixdate or RFC 850
        wkday = t[0];
        day = t[1];
        mon = t[2];
        year = t[3];
        time = t[4];
    } else if (t.size() == 5) { // asctime
        wkday = t[0];
        mon = t[1];
        day = t[2];
        time = t[3];
        year = t[4];
    } else {
        return std::nullopt;
    }
    const int m = month_number(mon);
    const auto secs = time_of_day(time);
    if (!all_alpha(wkday) || m == 0 || !secs || !all_digits(day) || day.size() > 2 ||
        !all_digits(year) || (year.size() != 4 && year.size() != 2))
        return std::nullopt;
    long long y = to_int(year);
    if (year.size() == 2) // RFC 850: a two-digit year; read 70-99 as 19xx, 00-69 as 20xx
        y += y >= 70 ? 1900 : 2000;
    const unsigned d = unsigned(to_int(day));
    if (d < 1 || d > days_in_month(y, unsigned(m)))
        return std::nullopt;
    const long long epoch_seconds = days_from_civil(y, unsigned(m), d) * 86400 + *secs;
    // system_clock counts nanoseconds in 64 bits: saturate rather than overflow past its range.
    using Clock = std::chrono::system_clock;
    constexpr long long kLimit =
        std::chrono::duration_cast<std::chrono::seconds>(Clock::duration::max()).count();
    if (epoch_seconds > kLimit)
        return Clock::time_point::max();
    if (epoch_seconds < -kLimit)
        return Clock::time_point::min();
    return Clock::time_point(std::chrono::seconds(epoch_seconds));
}

} // namespace socrata
