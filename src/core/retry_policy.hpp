// When to try a request again and how long to wait first. Pure: no clock, no I/O; the random
// jitter comes from a seedable generator so tests are deterministic.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace socrata {

// What happened on one attempt.
struct AttemptOutcome {
    int http_status = 0;        // 0 when no response arrived
    bool network_error = false; // connect/DNS/reset/timeout/stall/truncated body
    std::string retry_after;    // the Retry-After header, if any
};

struct RetryDecision {
    bool retry = false;
    int delay_ms = 0;
};

// The longest wait a Retry-After header can impose: a portal asking for more is treated as
// asking for this much (the request then fails at the retry limit rather than hang for hours).
constexpr int kMaxRetryAfterMs = 120000;

class RetryPolicy {
  public:
    RetryPolicy(int max_retries, int base_delay_ms, int max_delay_ms,
                std::uint32_t seed = std::random_device{}())
        : max_retries_(max_retries), base_delay_ms_(base_delay_ms),
          max_delay_ms_(max_delay_ms), rng_(seed) {}

    // attempt: 0 for the first try. Retries throttling (429), "processing" (202), server
    // errors (500, 502, 503, 504) and network errors; never another 4xx.
    RetryDecision decide(int attempt, const AttemptOutcome &outcome);

  private:
    int max_retries_;
    int base_delay_ms_;
    int max_delay_ms_;
    std::mt19937 rng_;
};

bool is_retryable_status(int status) noexcept;

// Retry-After as delta-seconds ("120") or an HTTP-date; milliseconds from `now`, never
// negative; nullopt if unparseable.
std::optional<int> parse_retry_after(std::string_view value,
                                     std::chrono::system_clock::time_point now);

} // namespace socrata
