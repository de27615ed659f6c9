#include "retry_policy.hpp"

#include "http_date.hpp"

#include <algorithm>

namespace socrata {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

std::string describe(const AttemptOutcome &o) {
    if (o.http_status != 0)
        return "HTTP " + std::to_string(o.http_status);
    return o.network_error ? "network error" : "no response";
}

} // namespace

bool is_retryable_status(int status) noexcept {
    switch (status) {
    case 202:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
        return true;
    default:
        return false;
    }
}

std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
    value = trim(value);
    if (value.empty())
        return std::nullopt;
    if (value.find_first_not_of("0123456789") == std::string_view::npos) {
        // Saturate instead of overflowing: anything past a year is capped as "too long" anyway.
        long long seconds = 0;
        for (char c : value) {
            seconds = seconds * 10 + (c - '0');
            if (seconds > 86400LL * 365)
                break;
        }
        return std::chrono::milliseconds(seconds * 1000);
    }
    const auto when = parse_http_date(value);
    if (!when)
        return std::nullopt;
    if (*when <= now) // also keeps the subtraction below from overflowing
        return std::chrono::milliseconds(0);
    return std::chrono::duration_cast<std::chrono::milliseconds>(*when - now);
}

RetryDecision RetryDecider::decide(int attempt, const AttemptOutcome &outcome) {
    RetryDecision d;
    const std::string what = describe(outcome);
    const bool retryable = outcome.http_status != 0 ? is_retryable_status(outcome.http_status)
                                                    : outcome.network_error && !outcome.lasting;
    if (!retryable) {
        d.reason = what + " is not retryable";
        return d;
    }
    if (attempt > policy_.max_retries) {
        d.reason = what + ", giving up after " + std::to_string(attempt) + " attempts";
        return d;
    }
    d.retry = true;

    if (!outcome.retry_after.empty()) {
        if (auto wait = parse_retry_after(outcome.retry_after, outcome.received_at)) {
            const long long ms = std::min<long long>(wait->count(), kMaxRetryAfterMs);
            d.delay_ms = int(ms);
            d.reason = what + ", retry " + std::to_string(attempt) + " of " +
                       std::to_string(policy_.max_retries) + " after " + std::to_string(ms) +
                       " ms (Retry-After" + (wait->count() > kMaxRetryAfterMs ? ", capped)" : ")");
            return d;
        }
    }
    // base * 2^(attempt-1), computed without overflow, then capped.
    long long cap = std::max(0, policy_.base_delay_ms);
    for (int i = 1; i < attempt && cap < policy_.max_delay_ms; ++i)
        cap *= 2;
    cap = std::min<long long>(cap, std::max(0, policy_.max_delay_ms));
    const long long half = cap / 2;
    std::uniform_int_distribution<long long> jitter(0, cap - half);
    d.delay_ms = int(half + jitter(rng_));
    d.reason = what + ", retry " + std::to_string(attempt) + " of " +
               std::to_string(policy_.max_retries) + " after " + std::to_string(d.delay_ms) + " ms";
    return d;
}

} // namespace socrata
