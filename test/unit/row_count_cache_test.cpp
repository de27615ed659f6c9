#include "row_count_cache.hpp"

#include <gtest/gtest.h>

using namespace socrata;
using namespace std::chrono;

namespace {

const RowCountCache::Clock::time_point t0{};

} // namespace

TEST(RowCountCache, ReturnsWhatWasStored) {
    RowCountCache cache;
    EXPECT_FALSE(cache.find("a", t0));
    cache.store("a", 42, t0);
    cache.store("b", 7, t0);
    EXPECT_EQ(cache.find("a", t0), 42.0);
    EXPECT_EQ(cache.find("b", t0 + seconds(1)), 7.0);
    cache.store("a", 43, t0);
    EXPECT_EQ(cache.find("a", t0), 43.0);
    EXPECT_EQ(cache.size(), 2U);
}

TEST(RowCountCache, ForgetsCountsOlderThanMaxAge) {
    RowCountCache cache(10, seconds(600));
    cache.store("a", 42, t0);
    EXPECT_EQ(cache.find("a", t0 + seconds(600)), 42.0);
    EXPECT_FALSE(cache.find("a", t0 + seconds(601)));
    EXPECT_EQ(cache.size(), 0U); // dropped, not kept forever
    // Storing again restarts the clock.
    cache.store("a", 50, t0 + seconds(700));
    EXPECT_EQ(cache.find("a", t0 + seconds(1200)), 50.0);
}

TEST(RowCountCache, KeepsAtMostCapacityEntriesDroppingTheLeastRecentlyUsed) {
    RowCountCache cache(3, hours(1));
    cache.store("a", 1, t0);
    cache.store("b", 2, t0);
    cache.store("c", 3, t0);
    EXPECT_EQ(cache.find("a", t0), 1.0); // a is now the most recently used; b the least
    cache.store("d", 4, t0);
    EXPECT_EQ(cache.size(), 3U);
    EXPECT_FALSE(cache.find("b", t0));
    EXPECT_EQ(cache.find("a", t0), 1.0);
    EXPECT_EQ(cache.find("c", t0), 3.0);
    EXPECT_EQ(cache.find("d", t0), 4.0);
    // Replacing an entry does not evict another.
    cache.store("c", 30, t0);
    EXPECT_EQ(cache.size(), 3U);
    EXPECT_EQ(cache.find("a", t0), 1.0);
}

TEST(RowCountCache, DistinctWhereClausesDoNotGrowItPastCapacity) {
    RowCountCache cache;
    for (int i = 0; i < 100000; ++i)
        cache.store("base\nds\nid = " + std::to_string(i), i, t0);
    EXPECT_EQ(cache.size(), RowCountCache::kDefaultCapacity);
    EXPECT_EQ(cache.find("base\nds\nid = 99999", t0), 99999.0);
    EXPECT_FALSE(cache.find("base\nds\nid = 0", t0));
}
