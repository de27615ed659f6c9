// When to retry a SODA request and how long to wait first. Pure logic (no sleeping, no clock
// reads, injected randomness) so every branch is unit-tested; the scan loop does the waiting,
// checking for query cancel while it waits.
//
// Retried: 429 (throttled), 500, 502, 503, 504, 202 (Socrata: "request is processing, try
// again") and transport failures or timeouts. Never other 4xx: they do not get better; nor a
// transport failure that is lasting (a TLS certificate that does not verify).
// Delay: exponential backoff with "equal jitter" (half fixed, half random) so a throttled fleet
// spreads out, capped at max_delay_ms. A Retry-After header overrides the backoff, because the
// server knows when it will be ready, but is capped at kMaxRetryAfterMs (120 s): a query does
// not sit still for longer, it asks again after 120 s (a retry like any other).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace socrata {

constexpr int kMaxRetryAfterMs = 120000;

struct RetryPolicy {
    int max_retries = 5;      // retries after the first attempt
    int base_delay_ms = 500;  // backoff before the first retry (before jitter)
    int max_delay_ms = 30000; // cap on the backoff (not on Retry-After, see above)
};

struct AttemptOutcome {
    int http_status = 0;        // 0 when no HTTP response arrived
    bool network_error = false; // transport failure, timeout or stall
    bool lasting = false;       // ... that the same request would meet again (Error::lasting)
    std::string retry_after;    // the Retry-After header, empty if absent
    // When the response's headers arrived (HttpResponse::received_at); an HTTP-date
    // Retry-After is measured from here.
    std::chrono::system_clock::time_point received_at = std::chrono::system_clock::now();
};

struct RetryDecision {
    bool retry = false;
    int delay_ms = 0;   // wait this long before the next attempt (when retry)
    std::string reason; // what was decided, e.g. "HTTP 429, retry 2 of 5 after 1200 ms"
};

// Whether this status is worth retrying at all (see the list above).
bool is_retryable_status(int status) noexcept;

// Retry-After as a delay from `now`: delta-seconds ("120") or an HTTP-date; a date in the past
// is zero. Not capped here. nullopt if the value is neither.
std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

class RetryDecider {
  public:
    explicit RetryDecider(RetryPolicy policy, std::uint64_t seed = std::random_device{}())
        : policy_(policy), rng_(seed) {}

    // `attempt` is the 1-based number of the attempt that just failed.
    RetryDecision decide(int attempt, const AttemptOutcome &outcome);

    const RetryPolicy &policy() const noexcept { return policy_; }

  private:
    RetryPolicy policy_;
    std::mt19937_64 rng_;
};

} // namespace socrata
