#include "field_slot_map.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace socrata;

TEST(FieldSlotMap, FindsEveryWantedNameAndNothingElse) {
    std::vector<std::string> wanted;
    for (int i = 0; i < 500; ++i) // many similar names: same lengths, same first/last bytes
        wanted.push_back("f" + std::to_string(i) + "x");
    wanted.push_back("");
    wanted.push_back(":@computed_region_awaf_s7ux");
    FieldSlotMap map(wanted);
    ASSERT_EQ(map.field_count(), wanted.size());
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        EXPECT_EQ(map.find(wanted[i].data(), wanted[i].size()), int(i)) << wanted[i];
        EXPECT_EQ(map.field_name(int(i)), wanted[i]);
    }
    for (const char *other : {"f", "f500x", "f1", "F1x", "f1x ", ":@computed_region_awaf_s7u"})
        EXPECT_EQ(map.find(other, std::char_traits<char>::length(other)), FieldSlotMap::kNotWanted)
            << other;
}

TEST(FieldSlotMap, DuplicateSlotsShareOneField) {
    FieldSlotMap map({"id", "date", "id", "beat", "date"});
    EXPECT_EQ(map.field_count(), 3u);
    EXPECT_EQ(map.slot_count(), 5u);
    EXPECT_EQ(map.field_of_slot(0), map.field_of_slot(2));
    EXPECT_EQ(map.field_of_slot(1), map.field_of_slot(4));
    EXPECT_NE(map.field_of_slot(0), map.field_of_slot(3));
    EXPECT_EQ(map.find("beat", 4), map.field_of_slot(3));
}

TEST(FieldSlotMap, NoFieldsWanted) {
    FieldSlotMap map({});
    EXPECT_EQ(map.find("id", 2), FieldSlotMap::kNotWanted);
    EXPECT_EQ(map.slot_count(), 0u);
}

TEST(SameBytes, FindsADifferenceAtEveryPositionOfEveryLength) {
    // Word loads with an overlapping last one: each length class (under 4, 4 to 7, 8 and up)
    // must see a difference wherever it is.
    const std::string base = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (std::size_t n = 0; n <= 24; ++n) {
        EXPECT_TRUE(same_bytes(base.data(), std::string(base).data(), n)) << n;
        for (std::size_t at = 0; at < n; ++at) {
            std::string other = base;
            other[at] = '#';
            EXPECT_FALSE(same_bytes(base.data(), other.data(), n)) << n << " " << at;
        }
        // A difference just past the n bytes does not count.
        std::string longer = base;
        longer[n] = '#';
        EXPECT_TRUE(same_bytes(base.data(), longer.data(), n)) << n;
    }
}
