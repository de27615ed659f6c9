#include "error.hpp"
#include "location_value.hpp"

#include <gtest/gtest.h>

using namespace socrata;

TEST(LocationValue, GeoJsonPoint) {
    auto p = parse_location("{\"type\":\"Point\",\"coordinates\":[-87.622652,41.711841]}");
    ASSERT_TRUE(p.has_value());
    EXPECT_DOUBLE_EQ(p->lon, -87.622652);
    EXPECT_DOUBLE_EQ(p->lat, 41.711841);
    EXPECT_EQ(format_pg_point(*p), "(-87.622652,41.711841)");
    // Member order, whitespace, integer coordinates and an altitude do not matter.
    auto q = parse_location("{ \"coordinates\" : [ -87, 41, 180.5 ], \"type\" : \"Point\" }");
    ASSERT_TRUE(q.has_value());
    EXPECT_EQ(format_pg_point(*q), "(-87,41)");
}

TEST(LocationValue, LegacyLocationWithStringCoordinates) {
    auto p = parse_location("{\"needs_recoding\":false,\"longitude\":\"-87.67692180426695\","
                            "\"latitude\":\"41.924929817906275\","
                            "\"human_address\":\"{\\\"address\\\": \\\"\\\"}\"}");
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(format_pg_point(*p), "(-87.67692180426695,41.924929817906275)");
    auto n = parse_location("{\"latitude\":41.5,\"longitude\":-87.25}");
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(format_pg_point(*n), "(-87.25,41.5)");
}

TEST(LocationValue, NoCoordinatesMeansNull) {
    EXPECT_FALSE(parse_location("{\"human_address\":\"{\\\"city\\\":\\\"Chicago\\\"}\"}"));
    EXPECT_FALSE(parse_location("{}"));
    EXPECT_FALSE(parse_location("{\"type\":\"Point\",\"coordinates\":[]}"));
    EXPECT_FALSE(parse_location("{\"latitude\":null,\"longitude\":null}"));
}

TEST(LocationValue, RejectsOtherShapes) {
    for (const char *bad : {
             "",
             "not json",
             "[1,2]",
             "\"(1,2)\"",
             "{\"type\":\"LineString\",\"coordinates\":[[1,2],[3,4]]}",
             "{\"type\":\"Point\",\"coordinates\":[[1,2]]}",
             "{\"type\":\"Point\",\"coordinates\":[1]}",
             "{\"type\":\"Point\"}",
             "{\"latitude\":\"41.8\"}",
             "{\"latitude\":\"north\",\"longitude\":\"-87\"}",
             "{\"latitude\":\"41.8 \",\"longitude\":\"-87\"}",
             "{\"type\":\"Point\",\"coordinates\":[1,2]",
             "{\"type\":\"Polygon\"}",
             // A coordinate that is not a number is no coordinate: not skipped, so that neither
             // the values after it are read as the point nor the point taken as empty.
             "{\"type\":\"Point\",\"coordinates\":[\"-87.6\",\"41.8\"]}",
             "{\"type\":\"Point\",\"coordinates\":[null,null]}",
             "{\"type\":\"Point\",\"coordinates\":[true,-87.6,41.8]}",
             "{\"type\":\"Point\",\"coordinates\":[{\"x\":1},-87.6,41.8]}",
             "{\"latitude\":[41.8],\"longitude\":[-87.6]}",
             "{\"latitude\":true,\"longitude\":\"-87.6\"}",
             "{\"latitude\":{\"v\":41.8},\"longitude\":-87.6}",
             "{\"latitude\":\"1e999\",\"longitude\":\"-87\"}",
         }) {
        try {
            parse_location(bad);
            ADD_FAILURE() << "accepted " << bad;
        } catch (const Error &e) {
            EXPECT_EQ(e.kind(), ErrorKind::Conversion) << bad;
            EXPECT_NE(std::string(e.what()).find("cannot read a point"), std::string::npos);
            EXPECT_NE(e.hint().find("jsonb"), std::string::npos);
        }
    }
}

TEST(LocationValue, FormatRoundTripsDoubles) {
    GeoPoint p{0.1 + 0.2, -1e-300};
    const std::string text = format_pg_point(p);
    EXPECT_EQ(text, "(0.30000000000000004,-1e-300)");
}

// The detail says what is wrong with the value.
TEST(LocationValue, RefusalsSayWhy) {
    auto detail_of = [](const char *raw) {
        try {
            parse_location(raw);
        } catch (const Error &e) {
            return e.detail();
        }
        return std::string("accepted");
    };
    EXPECT_NE(detail_of("{\"type\":\"Polygon\"}").find("Only GeoJSON \"Point\" values"),
              std::string::npos);
    EXPECT_NE(detail_of("{\"type\":\"LineString\",\"coordinates\":[[1,2],[3,4]]}")
                  .find("Only GeoJSON \"Point\" values"),
              std::string::npos);
    EXPECT_NE(detail_of("{\"latitude\":\"inf\",\"longitude\":\"-87\"}").find("not finite"),
              std::string::npos);
    EXPECT_EQ(detail_of("{\"type\":\"Point\",\"coordinates\":[\"-87.6\",41.8]}"),
              "A coordinate is not a number.");
}
