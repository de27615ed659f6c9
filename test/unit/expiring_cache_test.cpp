#include "expiring_cache.hpp"

#include <gtest/gtest.h>

using namespace socrata;
using namespace std::chrono;

namespace {

using Cache = ExpiringCache<double>;
const Cache::Clock::time_point t0{};

double value_of(const std::shared_ptr<const double> &found) {
    return found ? *found : -1;
}

} // namespace

TEST(ExpiringCache, ReturnsWhatWasStored) {
    Cache cache(256, seconds(600));
    EXPECT_FALSE(cache.find("a", t0));
    cache.store("a", 42, t0);
    cache.store("b", 7, t0);
    EXPECT_EQ(value_of(cache.find("a", t0)), 42.0);
    EXPECT_EQ(value_of(cache.find("b", t0 + seconds(1))), 7.0);
    cache.store("a", 43, t0);
    EXPECT_EQ(value_of(cache.find("a", t0)), 43.0);
    EXPECT_EQ(cache.size(), 2U);
}

TEST(ExpiringCache, ForgetsValuesOlderThanMaxAge) {
    Cache cache(10, seconds(600));
    cache.store("a", 42, t0);
    EXPECT_EQ(value_of(cache.find("a", t0 + seconds(600))), 42.0);
    EXPECT_FALSE(cache.find("a", t0 + seconds(601)));
    EXPECT_EQ(cache.size(), 0U); // dropped, not kept forever
    // Storing again restarts the clock.
    cache.store("a", 50, t0 + seconds(700));
    EXPECT_EQ(value_of(cache.find("a", t0 + seconds(1200))), 50.0);
}

TEST(ExpiringCache, KeepsAtMostCapacityEntriesDroppingTheLeastRecentlyUsed) {
    Cache cache(3, hours(1));
    cache.store("a", 1, t0);
    cache.store("b", 2, t0);
    cache.store("c", 3, t0);
    EXPECT_EQ(value_of(cache.find("a", t0)), 1.0); // a is now the most recently used; b the least
    cache.store("d", 4, t0);
    EXPECT_EQ(cache.size(), 3U);
    EXPECT_FALSE(cache.find("b", t0));
    EXPECT_EQ(value_of(cache.find("a", t0)), 1.0);
    EXPECT_EQ(value_of(cache.find("c", t0)), 3.0);
    EXPECT_EQ(value_of(cache.find("d", t0)), 4.0);
    // Replacing an entry does not evict another.
    cache.store("c", 30, t0);
    EXPECT_EQ(cache.size(), 3U);
    EXPECT_EQ(value_of(cache.find("a", t0)), 1.0);
}

TEST(ExpiringCache, DistinctKeysDoNotGrowItPastCapacity) {
    Cache cache(256, seconds(600));
    for (int i = 0; i < 100000; ++i)
        cache.store("base\nds\nid = " + std::to_string(i), i, t0);
    EXPECT_EQ(cache.size(), 256U);
    EXPECT_EQ(value_of(cache.find("base\nds\nid = 99999", t0)), 99999.0);
    EXPECT_FALSE(cache.find("base\nds\nid = 0", t0));
}

TEST(ExpiringCache, AValueHandedOutOutlivesItsEntry) {
    // The planner holds a dataset's schema while it plans; the entry may expire or be replaced
    // meanwhile (a self-join plans the dataset twice).
    Cache cache(1, seconds(600));
    std::shared_ptr<const double> held = cache.store("a", 1, t0);
    cache.store("a", 2, t0 + seconds(1));             // replaced
    cache.store("b", 3, t0 + seconds(2));             // a evicted
    EXPECT_FALSE(cache.find("b", t0 + seconds(700))); // b expired
    EXPECT_EQ(*held, 1.0);
}
