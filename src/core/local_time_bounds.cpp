#include "local_time_bounds.hpp"

#include <limits>

namespace socrata {

namespace {

constexpr std::int64_t kMinusInfinity = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInfinity = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMicrosPerSecond = 1000000;

} // namespace

std::vector<BoundComparison> bound_comparisons(CompareOp op) {
    switch (op) {
    case CompareOp::Gt:
    case CompareOp::Ge:
        return {{op, BoundSide::Lower}};
    case CompareOp::Lt:
    case CompareOp::Le:
        return {{op, BoundSide::Upper}};
    case CompareOp::Eq:
        return {{CompareOp::Ge, BoundSide::Lower}, {CompareOp::Le, BoundSide::Upper}};
    case CompareOp::Ne:
        break;
    }
    return {};
}

std::int64_t local_time_bound(std::int64_t instant, const OffsetRange &offsets, BoundSide side) {
    if (instant == kMinusInfinity || instant == kInfinity)
        return instant;
    const std::int64_t offset = side == BoundSide::Lower ? offsets.least : offsets.greatest;
    std::int64_t shift = 0;
    std::int64_t bound = 0;
    if (__builtin_mul_overflow(offset, kMicrosPerSecond, &shift) ||
        __builtin_add_overflow(instant, shift, &bound))
        return offset < 0 ? kMinusInfinity : kInfinity;
    // A finite sum that lands on a sentinel would read as infinite: the same side anyway.
    return bound;
}

} // namespace socrata
