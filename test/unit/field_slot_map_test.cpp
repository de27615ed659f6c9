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
