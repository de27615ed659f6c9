#include "retry_policy.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace socrata {

bool is_retryable_status(int status) noexcept {
    return status == 202 || status == 429 || status == 500 || status == 502 || status == 503 ||
           status == 504;
}

RetryDecision RetryPolicy::decide(int attempt, const AttemptOutcome &outcome) {
    RetryDecision d;
    bool retryable = outcome.network_error || is_retryable_status(outcome.http_status);
    if (!retryable || attempt >= max_retries_)
        return d;
    d.retry = true;

    if (!outcome.retry_after.empty()) {
        if (auto ms = parse_retry_after(outcome.retry_after, std::chrono::system_clock::now())) {
            d.delay_ms = std::min(*ms, kMaxRetryAfterMs);
            return d;
        }
    }
    // Exponential backoff with "full jitter": a random wait in [base*2^attempt / 2, base*2^attempt].
    double ceiling = static_cast<double>(base_delay_ms_) * static_cast<double>(1u << std::min(attempt, 20));
    ceiling = std::min(ceiling, static_cast<double>(max_delay_ms_));
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    d.delay_ms = static_cast<int>(ceiling * jitter(rng_));
    return d;
}

std::optional<int> parse_retry_after(std::string_view value,
                                     std::chrono::system_clock::time_point now) {
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
        value.remove_prefix(1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
        value.remove_suffix(1);
    if (value.empty())
        return std::nullopt;

    if (std::all_of(value.begin(), value.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        if (value.size() > 9)
            return kMaxRetryAfterMs;
        return std::stoi(std::string(value)) * 1000;
    }

    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    std::tm tm{};
    char month[4] = {};
    char weekday[4] = {};
    int day = 0, year = 0, hour = 0, minute = 0, second = 0;
    std::string text(value);
    if (std::sscanf(text.c_str(), "%3s, %d %3s %d %d:%d:%d GMT", weekday, &day, month, &year,
                    &hour, &minute, &second) != 7)
        return std::nullopt;
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int mon = -1;
    for (int i = 0; i < 12; ++i)
        if (std::string_view(month) == months[i])
            mon = i;
    if (mon < 0)
        return std::nullopt;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at - now).count();
    return static_cast<int>(std::clamp<long long>(ms, 0, kMaxRetryAfterMs));
}

} // namespace socrata
