#include "http_date.hpp"
#include "retry_policy.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace socrata;
using namespace std::chrono;

namespace {

AttemptOutcome status(int s, std::string retry_after = {}) {
    AttemptOutcome o;
    o.http_status = s;
    o.retry_after = std::move(retry_after);
    o.received_at = system_clock::time_point(seconds(784111777)); // Sun, 06 Nov 1994 08:49:37
    return o;
}

AttemptOutcome network() {
    AttemptOutcome o;
    o.network_error = true;
    return o;
}

} // namespace

TEST(RetryPolicy, RetriesOnlyTransientStatuses) {
    RetryDecider decider(RetryPolicy{3, 100, 1000}, 42);
    for (int s : {202, 429, 500, 502, 503, 504})
        EXPECT_TRUE(decider.decide(1, status(s)).retry) << s;
    for (int s :
         {200, 204, 301, 302, 304, 400, 401, 403, 404, 405, 408, 410, 413, 414, 422, 501, 505}) {
        RetryDecision d = decider.decide(1, status(s));
        EXPECT_FALSE(d.retry) << s;
        EXPECT_NE(d.reason.find("not retryable"), std::string::npos) << d.reason;
    }
    EXPECT_TRUE(decider.decide(1, network()).retry);
    EXPECT_FALSE(decider.decide(1, AttemptOutcome{}).retry); // nothing failed
    AttemptOutcome lasting = network();
    lasting.lasting = true; // a certificate that does not verify
    RetryDecision d = decider.decide(1, lasting);
    EXPECT_FALSE(d.retry);
    EXPECT_NE(d.reason.find("not retryable"), std::string::npos) << d.reason;
}

TEST(RetryPolicy, GivesUpAfterMaxRetries) {
    RetryDecider decider(RetryPolicy{2, 100, 1000}, 1);
    EXPECT_TRUE(decider.decide(1, status(503)).retry);
    EXPECT_TRUE(decider.decide(2, status(503)).retry);
    RetryDecision last = decider.decide(3, status(503));
    EXPECT_FALSE(last.retry);
    EXPECT_NE(last.reason.find("giving up after 3 attempts"), std::string::npos) << last.reason;
    RetryDecider never(RetryPolicy{0, 100, 1000}, 1);
    EXPECT_FALSE(never.decide(1, network()).retry);
}

TEST(RetryPolicy, ExponentialBackoffWithBoundedJitter) {
    RetryDecider decider(RetryPolicy{20, 100, 3000}, 7);
    for (int round = 0; round < 50; ++round) {
        for (int attempt = 1; attempt <= 10; ++attempt) {
            const long long cap = std::min(100LL << (attempt - 1), 3000LL);
            RetryDecision d = decider.decide(attempt, status(429));
            ASSERT_TRUE(d.retry);
            EXPECT_GE(d.delay_ms, cap / 2) << attempt;
            EXPECT_LE(d.delay_ms, cap) << attempt;
        }
    }
}

TEST(RetryPolicy, JitterIsSeededAndActuallyVaries) {
    RetryDecider a(RetryPolicy{5, 1000, 60000}, 123), b(RetryPolicy{5, 1000, 60000}, 123);
    std::set<int> seen;
    for (int i = 0; i < 20; ++i) {
        const int da = a.decide(3, network()).delay_ms;
        EXPECT_EQ(da, b.decide(3, network()).delay_ms); // same seed, same delays
        seen.insert(da);
    }
    EXPECT_GT(seen.size(), 5u);
}

TEST(RetryPolicy, HugeAttemptNumbersDoNotOverflow) {
    RetryDecider decider(RetryPolicy{1000, 500, 30000}, 3);
    RetryDecision d = decider.decide(999, status(500));
    EXPECT_TRUE(d.retry);
    EXPECT_GE(d.delay_ms, 15000);
    EXPECT_LE(d.delay_ms, 30000);
}

TEST(RetryPolicy, HonoursRetryAfterSecondsAndDates) {
    RetryDecider decider(RetryPolicy{5, 100, 1000}, 9);
    RetryDecision d = decider.decide(1, status(429, "7"));
    EXPECT_TRUE(d.retry);
    EXPECT_EQ(d.delay_ms, 7000); // beyond max_delay_ms: the server's word wins
    EXPECT_NE(d.reason.find("Retry-After"), std::string::npos);
    EXPECT_EQ(decider.decide(1, status(503, "Sun, 06 Nov 1994 08:49:47 GMT")).delay_ms, 10000);
    EXPECT_EQ(decider.decide(1, status(503, "0")).delay_ms, 0);
    // A date in the past means "now".
    EXPECT_EQ(decider.decide(1, status(503, "Sun, 06 Nov 1994 08:00:00 GMT")).delay_ms, 0);
    // Capped at 120 s.
    RetryDecision capped = decider.decide(1, status(429, "3600"));
    EXPECT_EQ(capped.delay_ms, kMaxRetryAfterMs);
    EXPECT_NE(capped.reason.find("capped"), std::string::npos);
    // Garbage falls back to backoff.
    const int fallback = decider.decide(1, status(429, "soon")).delay_ms;
    EXPECT_GE(fallback, 50);
    EXPECT_LE(fallback, 100);
    // Retry-After never makes a non-retryable status retryable.
    EXPECT_FALSE(decider.decide(1, status(404, "1")).retry);
}

TEST(ParseRetryAfter, Forms) {
    const auto now = system_clock::time_point(seconds(784111777));
    EXPECT_EQ(parse_retry_after("120", now), milliseconds(120000));
    EXPECT_EQ(parse_retry_after(" 5 ", now), milliseconds(5000));
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:38 GMT", now), milliseconds(1000));
    EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:40 GMT", now), milliseconds(3000));
    EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:42 1994", now), milliseconds(5000));
    EXPECT_GT(parse_retry_after("99999999999999999999999", now).value(), hours(24));
    for (const char *bad : {"", "  ", "-1", "1.5", "5s", "tomorrow",
                            "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
                            "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 PST"})
        EXPECT_FALSE(parse_retry_after(bad, now).has_value()) << bad;
}

TEST(ParseRetryAfter, DatesBeyondTheClocksRange) {
    // system_clock counts nanoseconds in 64 bits (years 1677-2262); dates past that once
    // overflowed (found by fuzzing): year 9999 wrapped to 1816 (no wait), 1600 to 2185.
    const auto now = system_clock::time_point(seconds(784111777));
    EXPECT_GT(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now).value(), hours(24 * 365));
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1600 08:49:37 GMT", now), milliseconds(0));
    RetryDecider decider(RetryPolicy{5, 100, 1000}, 9);
    EXPECT_EQ(decider.decide(1, status(503, "Fri, 31 Dec 9999 23:59:59 GMT")).delay_ms,
              kMaxRetryAfterMs);
}

TEST(HttpDate, SaturatesAtTheClocksLimits) {
    EXPECT_EQ(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"), system_clock::time_point::max());
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1600 08:49:37 GMT"), system_clock::time_point::min());
    EXPECT_EQ(parse_http_date("Tue, 01 Jan 2262 00:00:00 GMT")->time_since_epoch(),
              seconds(9214646400));
}

TEST(HttpDate, KnownInstants) {
    EXPECT_EQ(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT")->time_since_epoch(), seconds(0));
    EXPECT_EQ(parse_http_date("Tue, 29 Feb 2000 12:00:00 GMT")->time_since_epoch(),
              seconds(951825600));
    EXPECT_FALSE(parse_http_date("Wed, 29 Feb 2023 12:00:00 GMT").has_value());
    EXPECT_EQ(parse_http_date("Fri, 01 Jan 2038 00:00:00 GMT")->time_since_epoch(),
              seconds(2145916800));
}
