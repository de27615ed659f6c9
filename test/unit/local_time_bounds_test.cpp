#include "local_time_bounds.hpp"

#include <gtest/gtest.h>

#include <limits>

using namespace socrata;

namespace {

constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kMicrosPerHour = kHour * 1000000;
constexpr std::int64_t kMinusInfinity = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInfinity = std::numeric_limits<std::int64_t>::max();

// Chicago around a daylight-saving change: CST (-6 h) and CDT (-5 h).
const OffsetRange kChicagoChange{-6 * kHour, -5 * kHour};

} // namespace

TEST(LocalTimeBounds, EachOrderNeedsTheBoundOnItsSide) {
    for (CompareOp op : {CompareOp::Gt, CompareOp::Ge}) {
        auto bounds = bound_comparisons(op);
        ASSERT_EQ(bounds.size(), 1u);
        EXPECT_EQ(bounds[0].op, op);
        EXPECT_EQ(bounds[0].side, BoundSide::Lower);
    }
    for (CompareOp op : {CompareOp::Lt, CompareOp::Le}) {
        auto bounds = bound_comparisons(op);
        ASSERT_EQ(bounds.size(), 1u);
        EXPECT_EQ(bounds[0].op, op);
        EXPECT_EQ(bounds[0].side, BoundSide::Upper);
    }
}

TEST(LocalTimeBounds, EqualityIsBetweenBothBoundsInclusive) {
    auto bounds = bound_comparisons(CompareOp::Eq);
    ASSERT_EQ(bounds.size(), 2u);
    EXPECT_EQ(bounds[0].op, CompareOp::Ge);
    EXPECT_EQ(bounds[0].side, BoundSide::Lower);
    EXPECT_EQ(bounds[1].op, CompareOp::Le);
    EXPECT_EQ(bounds[1].side, BoundSide::Upper);
}

TEST(LocalTimeBounds, InequalityHasNoBound) {
    EXPECT_TRUE(bound_comparisons(CompareOp::Ne).empty());
}

TEST(LocalTimeBounds, BoundsMoveTheInstantByTheLeastAndGreatestOffset) {
    const std::int64_t b = 123 * kMicrosPerHour; // an instant's UTC wall clock
    EXPECT_EQ(local_time_bound(b, kChicagoChange, BoundSide::Lower), b - 6 * kMicrosPerHour);
    EXPECT_EQ(local_time_bound(b, kChicagoChange, BoundSide::Upper), b - 5 * kMicrosPerHour);
    // One offset around b: both bounds are b's local time, the comparison's exact bound.
    const OffsetRange summer{-5 * kHour, -5 * kHour};
    EXPECT_EQ(local_time_bound(b, summer, BoundSide::Lower), b - 5 * kMicrosPerHour);
    EXPECT_EQ(local_time_bound(b, summer, BoundSide::Upper), b - 5 * kMicrosPerHour);
}

TEST(LocalTimeBounds, InfiniteInstantsStayInfinite) {
    for (BoundSide side : {BoundSide::Lower, BoundSide::Upper}) {
        EXPECT_EQ(local_time_bound(kInfinity, kChicagoChange, side), kInfinity);
        EXPECT_EQ(local_time_bound(kMinusInfinity, kChicagoChange, side), kMinusInfinity);
    }
}

TEST(LocalTimeBounds, SumsPastTheRangeSaturateOnTheirSide) {
    // Postgres accepts offsets of up to 167 hours (TimeZone 'FOO+167').
    const OffsetRange wide{-167 * kHour, 167 * kHour};
    EXPECT_EQ(local_time_bound(kMinusInfinity + 1, wide, BoundSide::Lower), kMinusInfinity);
    EXPECT_EQ(local_time_bound(kInfinity - 1, wide, BoundSide::Upper), kInfinity);
    EXPECT_EQ(local_time_bound(kMinusInfinity + 1, wide, BoundSide::Upper),
              kMinusInfinity + 1 + 167 * kMicrosPerHour);
    // An offset too large for microseconds (none is) still saturates rather than wraps.
    const OffsetRange absurd{std::numeric_limits<std::int64_t>::min() / 2,
                             std::numeric_limits<std::int64_t>::max() / 2};
    EXPECT_EQ(local_time_bound(0, absurd, BoundSide::Lower), kMinusInfinity);
    EXPECT_EQ(local_time_bound(0, absurd, BoundSide::Upper), kInfinity);
}
