// What the planner is told Socrata paths cost. Only their ranking matters: against each other,
// and against the same rows with Postgres doing the step locally.
#pragma once

namespace socrata::pg {

// A request costs a round trip; each row costs parsing and conversion.
constexpr double kStartupCost = 100.0;
constexpr double kPerRowCost = 0.01;

// A scan sorted by Socrata costs a little more than an unsorted one (the portal sorts), so the
// planner takes it only where the order is wanted, and there it beats a local Sort.
constexpr double kSortedScanFactor = 1.05;

// Startup discounts of upper paths, below what the rows cost without the step pushed, by more
// than add_path's 1% fuzz: a pushed sort beats a local Sort over the pushed aggregate; a pushed
// LIMIT beats a Limit over the scan, and over a pushed aggregate it also beats a Limit over the
// pushed sort (hence the larger discount).
constexpr double kPushedSortDiscount = 5;
constexpr double kPushedLimitDiscount = 1;
constexpr double kPushedLimitOverAggregateDiscount = 10;

} // namespace socrata::pg
