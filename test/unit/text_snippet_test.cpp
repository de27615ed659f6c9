// utf8_character_length and escaped_character: how a character a database encoding lacks is
// written (src/pg/database_encoding.cpp uses them for comments, EXPLAIN and error texts).
#include "text_snippet.hpp"

#include <gtest/gtest.h>

using namespace socrata;

TEST(Utf8CharacterLength, MeasuresOneValidCharacter) {
    EXPECT_EQ(utf8_character_length("a"), 1u);
    EXPECT_EQ(utf8_character_length("\xC3\xA9z"), 2u);         // é
    EXPECT_EQ(utf8_character_length("\xE2\x82\xAC ST"), 3u);   // €
    EXPECT_EQ(utf8_character_length("\xF0\x9F\x98\x80!"), 4u); // U+1F600
    EXPECT_EQ(utf8_character_length(std::string_view("\0x", 2)), 1u);
}

TEST(Utf8CharacterLength, IsOneByteForWhatIsNoCharacter) {
    EXPECT_EQ(utf8_character_length("\xA9"), 1u);         // a continuation byte alone
    EXPECT_EQ(utf8_character_length("\xE2\x82"), 1u);     // cut short
    EXPECT_EQ(utf8_character_length("\xE2\x28\xAC"), 1u); // a bad continuation
    EXPECT_EQ(utf8_character_length("\xC0\xAF"), 1u);     // overlong
    EXPECT_EQ(utf8_character_length("\xED\xA0\x80"), 1u); // a UTF-16 surrogate
    EXPECT_EQ(utf8_character_length("\xFF"), 1u);
}

TEST(EscapedCharacter, WritesTheCodePoint) {
    EXPECT_EQ(escaped_character("\xC3\xA9"), "\\u00E9");
    EXPECT_EQ(escaped_character("\xE2\x80\x98"), "\\u2018");
    EXPECT_EQ(escaped_character("\xE2\x82\xAC"), "\\u20AC");
    EXPECT_EQ(escaped_character("\xEF\xBF\xBF"), "\\uFFFF");
    EXPECT_EQ(escaped_character("\xF0\x9F\x98\x80"), "\\U0001F600");
    EXPECT_EQ(escaped_character("\xF4\x8F\xBF\xBF"), "\\U0010FFFF");
}

TEST(EscapedCharacter, WritesAByteThatIsNoCharacterInHex) {
    EXPECT_EQ(escaped_character(std::string_view("\0", 1)), "\\x00");
    EXPECT_EQ(escaped_character("\xA9"), "\\xA9");
    EXPECT_EQ(escaped_character("\xFF"), "\\xFF");
}
