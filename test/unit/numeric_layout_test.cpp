#include "numeric_layout.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using namespace socrata;

namespace {

std::vector<std::uint16_t> words(std::int64_t digits, int scale) {
    NumericLayout layout;
    if (!numeric_layout(digits, scale, layout))
        return {};
    return std::vector<std::uint16_t>(layout.words, layout.words + layout.count);
}

// The value a layout stands for, spelled as numeric_out spells it (scale digits after the
// point), read back from the words alone: the reference the random test compares with.
std::string spelled(const NumericLayout &layout) {
    const std::uint16_t header = layout.words[0];
    const int scale = (header >> 7) & 0x3F;
    int weight = header & 0x3F;
    if (header & 0x40)
        weight -= 64;
    // Decimal digits of each base-10000 digit, placed at 10000^(weight - i).
    std::string integer, fraction;
    for (std::size_t i = 1; i < layout.count; ++i) {
        const int power = weight - int(i - 1);
        char four[5];
        std::snprintf(four, sizeof four, "%04u", unsigned(layout.words[i]));
        if (power >= 0) {
            integer += four;
            if (i + 1 == layout.count)
                integer += std::string(4 * std::size_t(power), '0');
        } else {
            if (fraction.empty() && integer.empty() && i == 1)
                fraction = std::string(4 * std::size_t(-power - 1), '0');
            fraction += four;
        }
    }
    while (!integer.empty() && integer[0] == '0')
        integer.erase(0, 1);
    if (integer.empty())
        integer = "0";
    fraction.resize(std::size_t(scale), '0'); // digits past the scale are zeros, if any
    std::string out = (header & 0x2000) ? "-" : "";
    out += integer;
    if (scale > 0)
        out += "." + fraction;
    return out;
}

std::string expected_spelling(std::int64_t digits, int scale) {
    const bool negative = digits < 0;
    std::string magnitude = std::to_string(digits);
    if (negative)
        magnitude.erase(0, 1);
    if (magnitude.size() <= std::size_t(scale))
        magnitude.insert(0, std::size_t(scale) + 1 - magnitude.size(), '0');
    std::string out = negative && digits != 0 ? "-" : "";
    out += magnitude.substr(0, magnitude.size() - std::size_t(scale));
    if (scale > 0)
        out += "." + magnitude.substr(magnitude.size() - std::size_t(scale));
    return out;
}

} // namespace

TEST(NumericLayout, LaysOutAsNumericInDoes) {
    // Words as numeric_in stores them (checked against PostgreSQL 15 with pageinspect):
    // header 0x8000 | scale << 7 | weight, digits in base 10000.
    EXPECT_EQ(words(418812, 4), (std::vector<std::uint16_t>{0x8000 | 4 << 7, 41, 8812}));
    // -87.62: negative, the fraction padded to 6200.
    EXPECT_EQ(words(-8762, 2), (std::vector<std::uint16_t>{0xA000 | 2 << 7, 87, 6200}));
    // 0.0005: weight -1.
    EXPECT_EQ(words(5, 4), (std::vector<std::uint16_t>{0x8000 | 4 << 7 | 0x40 | 0x3F, 5}));
    // 0.00005: weight -2, digit 5000.
    EXPECT_EQ(words(5, 5), (std::vector<std::uint16_t>{0x8000 | 5 << 7 | 0x40 | 0x3E, 5000}));
    // 10000: weight 1, the trailing zero digit left out.
    EXPECT_EQ(words(10000, 0), (std::vector<std::uint16_t>{0x8000 | 1, 1}));
    // 1176120 and 1.50: trailing zeros inside a digit stay.
    EXPECT_EQ(words(1176120, 0), (std::vector<std::uint16_t>{0x8000 | 1, 117, 6120}));
    EXPECT_EQ(words(150, 2), (std::vector<std::uint16_t>{0x8000 | 2 << 7, 1, 5000}));
    // Zero and 0.000: no digits, weight 0, positive, the scale kept.
    EXPECT_EQ(words(0, 0), (std::vector<std::uint16_t>{0x8000}));
    EXPECT_EQ(words(0, 3), (std::vector<std::uint16_t>{0x8000 | 3 << 7}));
    // INT64_MIN: its magnitude does not fit an int64.
    EXPECT_EQ(words(INT64_MIN, 0),
              (std::vector<std::uint16_t>{0xA000 | 4, 922, 3372, 368, 5477, 5808}));
}

TEST(NumericLayout, WhatTheShortFormatCannotHoldIsLeftToNumericC) {
    NumericLayout layout;
    EXPECT_TRUE(numeric_layout(1, 63, layout));
    EXPECT_FALSE(numeric_layout(1, 64, layout)); // a scale over 63
    EXPECT_FALSE(numeric_layout(1, -1, layout));
    // INT64_MAX with three zeros appended passes 2^64.
    EXPECT_FALSE(numeric_layout(INT64_MAX, 1, layout));
    EXPECT_TRUE(numeric_layout(INT64_MAX, 4, layout));
}

TEST(NumericLayout, RandomValuesReadBackAsTheirSpelling) {
    std::mt19937_64 rng(45);
    for (int i = 0; i < 200000; ++i) {
        // Magnitudes of every length, some with trailing zeros, both signs.
        const int length = int(rng() % 19);
        std::int64_t digits = std::int64_t(rng() % 1000000000000000000ull);
        for (int j = length; j < 18; ++j)
            digits /= 10;
        if (rng() % 4 == 0 && digits < 1000000000000000)
            digits *= 1000;
        if (rng() % 2)
            digits = -digits;
        const int scale = int(rng() % 24);
        NumericLayout layout;
        const std::uint64_t magnitude =
            digits < 0 ? 0 - std::uint64_t(digits) : std::uint64_t(digits);
        const std::uint64_t pad[] = {1, 10, 100, 1000};
        const bool fits = magnitude <= UINT64_MAX / pad[(4 - scale % 4) % 4];
        ASSERT_EQ(numeric_layout(digits, scale, layout), fits) << digits << " scale " << scale;
        if (!fits)
            continue;
        ASSERT_EQ(spelled(layout), expected_spelling(digits, scale))
            << digits << " scale " << scale;
        // make_result's form: no leading or trailing zero digit.
        if (layout.count > 1) {
            ASSERT_NE(layout.words[1], 0u);
            ASSERT_NE(layout.words[layout.count - 1], 0u);
        }
    }
}
