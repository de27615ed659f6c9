#include "malloc_policy.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <malloc.h>

using namespace socrata;

TEST(MallocPolicy, TheServersEnvironmentWins) {
    EXPECT_FALSE(environment_sets_mmap_threshold(nullptr, nullptr));
    EXPECT_TRUE(environment_sets_mmap_threshold("65536", nullptr));
    EXPECT_TRUE(environment_sets_mmap_threshold(nullptr, "glibc.malloc.mmap_threshold=65536"));
    EXPECT_TRUE(environment_sets_mmap_threshold(
        nullptr, "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=1048576"));
    EXPECT_FALSE(environment_sets_mmap_threshold(nullptr, "glibc.malloc.arena_max=2"));
}

TEST(MallocPolicy, AFreedLargeBlockLeavesTheThresholdAlone) {
    if (!fix_mmap_threshold())
        GTEST_SKIP() << "the environment sets glibc's mmap threshold";
    // Left to itself, glibc would raise its threshold to 8 MB when this block is freed, and
    // serve the next 1 MB request from its heap, where it stays resident once freed.
    void *big = std::malloc(8u << 20);
    ASSERT_NE(big, nullptr);
    std::memset(big, 1, 8u << 20);
    std::free(big);
    const std::size_t mapped_before = mallinfo2().hblkhd;
    void *medium = std::malloc(1u << 20);
    ASSERT_NE(medium, nullptr);
    std::memset(medium, 1, 1u << 20);
    EXPECT_GE(mallinfo2().hblkhd - mapped_before, std::size_t(1) << 20)
        << "1 MB was not given its own mapping";
    std::free(medium);
}
