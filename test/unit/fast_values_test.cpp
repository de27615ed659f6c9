#include "fast_values.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cstdlib>
#include <cstring>

using namespace socrata;

TEST(FastValues, FloatingTimestampsAsPostgresMicroseconds) {
    EXPECT_EQ(parse_floating_timestamp("2000-01-01T00:00:00"), 0);
    EXPECT_EQ(parse_floating_timestamp("2000-01-01T00:00:00.000"), 0);
    EXPECT_EQ(parse_floating_timestamp("2000-01-02T00:00:01.5"), 86401500000LL);
    EXPECT_EQ(parse_floating_timestamp("1999-12-31T23:59:59.999999"), -1);
    // 2002-04-07 14:45 = 827 days + 14:45 after 2000-01-01 (checked with Postgres:
    // SELECT extract(epoch FROM '2002-04-07 14:45' - timestamp '2000-01-01') * 1e6).
    EXPECT_EQ(parse_floating_timestamp("2002-04-07T14:45:00.000"), 71505900000000LL);
    EXPECT_EQ(parse_floating_timestamp("2024-02-29T12:00:00.000"), 762523200000000LL);
    // A fraction of each length from 1 to 6 digits, in microseconds (review helper-86).
    const std::int64_t noon = 762523200000000LL;
    EXPECT_EQ(parse_floating_timestamp("2024-02-29T12:00:00.1"), noon + 100000);
    EXPECT_EQ(parse_floating_timestamp("2024-02-29T12:00:00.12"), noon + 120000);
    EXPECT_EQ(parse_floating_timestamp("2024-02-29T12:00:00.123"), noon + 123000);
    EXPECT_EQ(parse_floating_timestamp("2024-02-29T12:00:00.1234"), noon + 123400);
    EXPECT_EQ(parse_floating_timestamp("2024-02-29T12:00:00.12345"), noon + 123450);
    EXPECT_EQ(parse_floating_timestamp("2024-02-29T12:00:00.123456"), noon + 123456);
}

TEST(FastValues, AnythingElseFallsBackToThePostgresParser) {
    for (const char *t :
         {"", "2024-02-30T00:00:00", "2023-02-29T00:00:00", "2024-13-01T00:00:00",
          "2024-01-01 00:00:00", "2024-01-01", "2024-01-01T24:00:00", "2024-01-01T00:00:00.",
          "2024-01-01T00:00:00.1234567", "2024-01-01T00:00:00Z", "0000-01-01T00:00:00",
          "2024-1-01T00:00:00", "20a4-01-01T00:00:00", "2024-01-01T00:00:00.12x",
          "2024-01-01T00:00:00.1:", "2024-01-01T00:00:00./"})
        EXPECT_FALSE(parse_floating_timestamp(t).has_value()) << t;
}

TEST(FastValues, EveryDigitOfATimestampIsChecked) {
    // The digits are read without a check each and refused together: a byte that is not a
    // digit, above or below '0'..'9', at any of the fourteen places.
    const std::string good = "2024-03-10T08:30:59.000";
    ASSERT_TRUE(parse_floating_timestamp(good).has_value());
    for (std::size_t place : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18})
        for (char bad : {'/', ':', 'a', ' ', '\x80', '\0'}) {
            std::string t = good;
            t[place] = bad;
            EXPECT_FALSE(parse_floating_timestamp(t).has_value()) << place << " " << int(bad);
        }
}

TEST(FastValues, FixedTimestampsInUtcAsPostgresMicroseconds) {
    EXPECT_EQ(parse_fixed_timestamp("2000-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_fixed_timestamp("2000-01-01T00:00:00.000Z"), 0);
    // SELECT extract(epoch FROM timestamptz '2024-03-10T08:30:00Z' - '2000-01-01Z') * 1e6
    EXPECT_EQ(parse_fixed_timestamp("2024-03-10T08:30:00.000Z"), 763374600000000LL);
    EXPECT_EQ(parse_fixed_timestamp("1999-12-31T23:59:59.999Z"), -1000);
    for (const char *t :
         {"", "Z", "2024-03-10T08:30:00.000", "2024-03-10T08:30:00.000+00:00",
          "2024-03-10T08:30:00.000-05", "2024-03-10T08:30:00.000z", "2024-03-10T08:30:00.Z",
          "2024-02-30T00:00:00Z", "2024-03-10T08:30:00.000ZZ"})
        EXPECT_FALSE(parse_fixed_timestamp(t).has_value()) << t;
}

TEST(FastValues, IntegersWithinBounds) {
    EXPECT_EQ(parse_integer("0", INT32_MIN, INT32_MAX), 0);
    EXPECT_EQ(parse_integer("-42", INT32_MIN, INT32_MAX), -42);
    EXPECT_EQ(parse_integer("0511", INT32_MIN, INT32_MAX), 511);
    EXPECT_EQ(parse_integer("9223372036854775807", INT64_MIN, INT64_MAX), INT64_MAX);
    EXPECT_EQ(parse_integer("-9223372036854775808", INT64_MIN, INT64_MAX), INT64_MIN);
    EXPECT_FALSE(parse_integer("9223372036854775808", INT64_MIN, INT64_MAX));
    // Past the 64-bit range by more than one: the overflow is caught before it happens.
    EXPECT_FALSE(parse_integer("99999999999999999999", INT64_MIN, INT64_MAX));
    EXPECT_FALSE(parse_integer("-9223372036854775809", INT64_MIN, INT64_MAX));
    EXPECT_FALSE(parse_integer("32768", INT16_MIN, INT16_MAX));
    // 18 digits and fewer take the unchecked loop; its result is range-checked all the same.
    EXPECT_EQ(parse_integer("999999999999999999", INT64_MIN, INT64_MAX), 999999999999999999);
    EXPECT_EQ(parse_integer("-999999999999999999", INT64_MIN, INT64_MAX), -999999999999999999);
    EXPECT_EQ(parse_integer("-000000000000000042", INT64_MIN, INT64_MAX), -42);
    EXPECT_FALSE(parse_integer("-32769", INT16_MIN, INT16_MAX));
    EXPECT_FALSE(parse_integer("999999999999999999", INT32_MIN, INT32_MAX));
    for (const char *t : {"", "-", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "twenty"})
        EXPECT_FALSE(parse_integer(t, INT64_MIN, INT64_MAX).has_value()) << t;
}

TEST(FastValues, Checkboxes) {
    EXPECT_EQ(parse_checkbox("true"), true);
    EXPECT_EQ(parse_checkbox("false"), false);
    EXPECT_FALSE(parse_checkbox("Y").has_value());
    EXPECT_FALSE(parse_checkbox("TRUE").has_value());
}

TEST(FastValues, DoublesAreTheSameAsStrtod) {
    // strtod is what float8in uses; both round correctly, so the bits must match.
    for (const char *t : {"41.83739443", "-87.64640771", "0", "-0", "1", "0.1", "1e5", "1E-5",
                          "123456789012345678901234567890", "2.2250738585072014e-308",
                          "1.7976931348623157e308", "0.30000000000000004", ".5", "5."}) {
        auto v = parse_double(t);
        ASSERT_TRUE(v.has_value()) << t;
        double expected = std::strtod(t, nullptr);
        EXPECT_EQ(std::memcmp(&*v, &expected, sizeof expected), 0) << t;
    }
    // Short decimals (at most 15 digits) are divided exactly by a power of ten: the same bits
    // as strtod for every placement of the point, signs and leading zeros included.
    unsigned long long state = 12345;
    for (int n = 0; n < 200000; ++n) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        // 16 and 17 digits too: those must go to from_chars (a fast path taking them would
        // round some wrongly, e.g. 7292770.0900931384; review helper-85).
        const int digits = 1 + int((state >> 33) % 17);
        const int point = int((state >> 40) % unsigned(digits + 1)); // == digits: no point
        std::string t = (state >> 63) ? "-" : "";
        unsigned long long r = state;
        for (int i = 0; i < digits; ++i) {
            if (i == point && i > 0)
                t += '.';
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            t += char('0' + (r >> 59) % 10);
        }
        auto v = parse_double(t);
        ASSERT_TRUE(v.has_value()) << t;
        double expected = std::strtod(t.c_str(), nullptr);
        ASSERT_EQ(std::memcmp(&*v, &expected, sizeof expected), 0) << t;
    }
    for (const char *t : {"007.5", "-0.0", "999999999999999", "0.00000000000001",
                          "-99999999999999.9", "9.99999999999999", "7292770.0900931384",
                          "0.000000000000001", "9007199254740993", "1234567890.1234567"}) {
        auto v = parse_double(t);
        ASSERT_TRUE(v.has_value()) << t;
        double expected = std::strtod(t, nullptr);
        EXPECT_EQ(std::memcmp(&*v, &expected, sizeof expected), 0) << t;
    }
    // Whatever float8in spells or rejects differently goes to float8in.
    for (const char *t : {"", "-", "+1", " 1", "1 ", "inf", "NaN", "Infinity", "0x10", "1e400",
                          "1e-400", "1,5", "e5", "1-2"})
        EXPECT_FALSE(parse_double(t).has_value()) << t;
}

TEST(FastValues, PlainDecimalsAreExact) {
    auto check = [](const char *text, std::int64_t digits, int scale) {
        auto v = parse_plain_decimal(text);
        ASSERT_TRUE(v.has_value()) << text;
        EXPECT_EQ(v->digits, digits) << text;
        EXPECT_EQ(v->scale, scale) << text;
    };
    check("41.76794466", 4176794466, 8);
    check("-87.64792081", -8764792081, 8);
    check("-87", -87, 0);
    check("0", 0, 0);
    check("0.50", 50, 2); // the scale keeps trailing zeros, as numeric_in does
    check("-0.5", -5, 1);
    check("999999999999999", 999999999999999, 0); // 15 digits
    check("0.00000000000001", 1, 14);
    // What jsonb_in would read differently or refuse goes to jsonb_in.
    for (const char *t : {"",
                          "-",
                          "+1",
                          "01",
                          "-01.5",
                          ".5",
                          "5.",
                          "1e5",
                          "1E-5",
                          "1.5e2",
                          " 1",
                          "1 ",
                          "-0",
                          "-0.0",
                          "1.2.3",
                          "1,5",
                          "NaN",
                          "Infinity",
                          "1234567890123456",
                          "12345678901.12345"})
        EXPECT_FALSE(parse_plain_decimal(t).has_value()) << t;
}

TEST(FastValues, CompactGeoJsonPoints) {
    auto p =
        parse_compact_geojson_point(R"({"type":"Point","coordinates":[-87.64792081,41.76794466]})");
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ((*p)[0].digits, -8764792081);
    EXPECT_EQ((*p)[0].scale, 8);
    EXPECT_EQ((*p)[1].digits, 4176794466);
    EXPECT_EQ((*p)[1].scale, 8);
    // Any other spelling is jsonb_in's to read (or refuse).
    for (const char *t : {
             R"({"type":"Point","coordinates":[]})",
             R"({"type":"Point","coordinates":[-87.6]})",
             R"({"type":"Point","coordinates":[-87.6,41.7,180]})",
             R"({"type":"Point","coordinates":[-87.6, 41.7]})",
             R"({"type": "Point","coordinates":[-87.6,41.7]})",
             R"({"coordinates":[-87.6,41.7],"type":"Point"})",
             R"({"type":"Point","coordinates":[-87.6,41.7],"type":"Point"})",
             R"({"type":"Point","coordinates":[-87.6,41.7]} )",
             R"({"type":"Point","coordinates":[-8.76e1,41.7]})",
             R"({"type":"Point","coordinates":["-87.6","41.7"]})",
             R"({"type":"Point","coordinates":[-87.6,41.7]]})",
             R"({"type":"Point","coordinates":[[-87.6,41.7]]})",
             R"({"type":"MultiPoint","coordinates":[-87.6,41.7]})",
             R"({"type":"Point","coordinates":[-87.6,41.7])",
         })
        EXPECT_FALSE(parse_compact_geojson_point(t).has_value()) << t;
}

TEST(FastValues, CompactGeoJsonPointLength) {
    const std::string point = R"({"type":"Point","coordinates":[-87.64792081,41.76794466]})";
    const std::string body = point + R"(,"b":"1"}])";
    EXPECT_EQ(compact_geojson_point_length(body.data(), body.data() + body.size()), point.size());
    // Cut short (the rest in the next chunk), or not a compact point: 0.
    for (std::size_t cut : {std::size_t(0), std::size_t(10), point.size() - 1})
        EXPECT_EQ(compact_geojson_point_length(point.data(), point.data() + cut), 0u) << cut;
    const std::string spaced = R"({"type":"Point","coordinates":[-87.6, 41.7]})";
    EXPECT_EQ(compact_geojson_point_length(spaced.data(), spaced.data() + spaced.size()), 0u);
    const std::string line = R"({"type":"Point","coordinates":[[1,2]]})";
    EXPECT_EQ(compact_geojson_point_length(line.data(), line.data() + line.size()), 0u);
    // Checked as JSON, not parsed: more digits than parse_compact_geojson_point reads are
    // taken (the converter gives them to jsonb_in); what JSON rejects, or an exponent, is not.
    const std::string long_digits = R"({"type":"Point","coordinates":[-87.6479208100000001,0]})";
    EXPECT_EQ(
        compact_geojson_point_length(long_digits.data(), long_digits.data() + long_digits.size()),
        long_digits.size());
    for (const char *bad :
         {R"({"type":"Point","coordinates":[01,2]})", R"({"type":"Point","coordinates":[1.,2]})",
          R"({"type":"Point","coordinates":[1,2e5]})", R"({"type":"Point","coordinates":[-,2]})",
          R"({"type":"Point","coordinates":[1;2]})", R"({"type":"Point","coordinates":[1,2]]})"}) {
        const std::string text = bad;
        EXPECT_EQ(compact_geojson_point_length(text.data(), text.data() + text.size()), 0u) << bad;
    }
}

TEST(FastValues, PlainJsonNumberLength) {
    auto length = [](std::string_view text) {
        return plain_json_number_length(text.data(), text.data() + text.size());
    };
    EXPECT_EQ(length("0,"), 1u);
    EXPECT_EQ(length("-0.50}"), 5u);
    EXPECT_EQ(length("1234567890123456789012 "), 22u);
    EXPECT_EQ(length("12"), 0u) << "it may go on in the next chunk";
    for (std::string_view bad : {"-,", "01,", "1.,", ".5,", "1e5,", "1E5,", "+1,", "-a", ","})
        EXPECT_EQ(length(bad), 0u) << bad;
}
