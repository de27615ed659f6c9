#include "error.hpp"
#include "soql_comparison.hpp"

#include <gtest/gtest.h>

using namespace socrata;

namespace {

ComparedValue exact(std::string literal) {
    return {ComparedValue::Kind::Exact, std::move(literal)};
}

} // namespace

TEST(Comparison, ExactValuesAreComparedAsTheyAre) {
    EXPECT_EQ(comparison_soql("ward", CompareOp::Ne, exact("42")), "(ward != 42)");
    EXPECT_EQ(comparison_soql("date", CompareOp::Ge, exact("'2020-01-01T00:00:00.000'")),
              "(date >= '2020-01-01T00:00:00.000')");
    // `5 < ward` is `ward > 5`: every order flips, equality does not.
    EXPECT_EQ(flipped(CompareOp::Lt), CompareOp::Gt);
    EXPECT_EQ(flipped(CompareOp::Le), CompareOp::Ge);
    EXPECT_EQ(flipped(CompareOp::Gt), CompareOp::Lt);
    EXPECT_EQ(flipped(CompareOp::Ge), CompareOp::Le);
    EXPECT_EQ(flipped(CompareOp::Eq), CompareOp::Eq);
    EXPECT_EQ(flipped(CompareOp::Ne), CompareOp::Ne);
}

TEST(Comparison, RowIdsAreWrittenAsTheyAreOtherTextsEqualNoRow) {
    EXPECT_TRUE(is_row_id_literal("'row-qrmu.9ivh_kszp'"));
    EXPECT_TRUE(is_row_id_literal("'row-2222-zzzz~a2b3'"));
    EXPECT_TRUE(is_row_id_literal("null"));
    for (const char *text :
         {"'foo'", "''", "'ROW-QRMU.9IVH_KSZP'", "'row-qrmu.9ivh_ksz'", "'row-qrmu.9ivh_kszpp'",
          "'row-qrmu,9ivh_kszp'", "'row-qrm1.9ivh_kszp'", "'row-qrmu.9ivh_kszl'",
          "row-qrmu.9ivh_kszp", "'rv-qrmu.9ivh_kszp'"})
        EXPECT_FALSE(is_row_id_literal(text)) << text;
    EXPECT_EQ(comparison_soql(":id", CompareOp::Eq, exact("'row-qrmu.9ivh_kszp'")),
              "(:id = 'row-qrmu.9ivh_kszp')");
    // The portal would refuse the text with HTTP 400; Postgres finds it equal to no row.
    EXPECT_EQ(comparison_soql(":id", CompareOp::Eq, exact("'foo'")), "(:id != :id)");
    EXPECT_EQ(comparison_soql(":id", CompareOp::Ne, exact("'foo'")), "(:id = :id)");
    EXPECT_EQ(comparison_soql("case_number", CompareOp::Eq, exact("'foo'")),
              "(case_number = 'foo')");
    // Runtime values (a join's keys) are rendered the same way.
    EXPECT_EQ(render_where(runtime_comparison(0, ":id", CompareOp::Eq), {exact("'JA123'")}),
              "(:id != :id)");
}

TEST(Comparison, ANumberComparedWithADoubleMustBeADoublesShortestDecimal) {
    for (const char *literal :
         {"0.1", "0.10", "-0.5", "2.5", "1000.25", "0", "-0", "0.0", "28", "9007199254740992",
          "1e+21", "1E-5", "0.30000000000000004", "123456789012345", "36028797018963970", "null"})
        EXPECT_TRUE(reads_back_from_double(literal)) << literal;
    // The portal reads these as a double that Postgres's numeric does not equal.
    for (const char *literal :
         {"0.10000000000000000001", "0.1000000000000000055511151231257827", "9007199254740993",
          "0.3000000000000000444", "1e400", "'0.1'",
          // 2^55's exact digits: Postgres holds the double as ...970
          "36028797018963968", "-9223372036854775808", "", "-", "1.2.3", "1e", "0x10", "NaN",
          // no form the wrapper writes; an exponent that would overflow the arithmetic
          "1e9223372036854775807", "1e+-5", "1e+"})
        EXPECT_FALSE(reads_back_from_double(literal)) << literal;
}

TEST(Comparison, ValueBetweenTwoColumnValuesUsesTheLowerOne) {
    // date compared with 00:00:00.0005: no date lies between .000 and .001.
    ComparedValue v{ComparedValue::Kind::Between, "'2001-01-01T00:00:00.000'"};
    EXPECT_EQ(comparison_soql("date", CompareOp::Lt, v), "(date <= '2001-01-01T00:00:00.000')");
    EXPECT_EQ(comparison_soql("date", CompareOp::Le, v), "(date <= '2001-01-01T00:00:00.000')");
    EXPECT_EQ(comparison_soql("date", CompareOp::Gt, v), "(date > '2001-01-01T00:00:00.000')");
    EXPECT_EQ(comparison_soql("date", CompareOp::Ge, v), "(date > '2001-01-01T00:00:00.000')");
    EXPECT_EQ(comparison_soql("date", CompareOp::Eq, v), "(date != date)");
    EXPECT_EQ(comparison_soql("date", CompareOp::Ne, v), "(date = date)");
}

TEST(Comparison, ValueOutsideTheColumnsRangeIsAlwaysOrNeverMet) {
    ComparedValue above{ComparedValue::Kind::AboveAll, {}};
    ComparedValue below{ComparedValue::Kind::BelowAll, {}};
    EXPECT_EQ(comparison_soql("d", CompareOp::Lt, above), "(d = d)");
    EXPECT_EQ(comparison_soql("d", CompareOp::Le, above), "(d = d)");
    EXPECT_EQ(comparison_soql("d", CompareOp::Gt, above), "(d != d)");
    EXPECT_EQ(comparison_soql("d", CompareOp::Ge, above), "(d != d)");
    EXPECT_EQ(comparison_soql("d", CompareOp::Eq, above), "(d != d)");
    EXPECT_EQ(comparison_soql("d", CompareOp::Ne, above), "(d = d)");
    EXPECT_EQ(comparison_soql("d", CompareOp::Lt, below), "(d != d)");
    EXPECT_EQ(comparison_soql("d", CompareOp::Ge, below), "(d = d)");
    EXPECT_EQ(comparison_soql("d", CompareOp::Gt, below), "(d = d)");
    EXPECT_EQ(comparison_soql("d", CompareOp::Eq, below), "(d != d)");
}

TEST(RenderWhere, PutsEachRuntimeComparisonIn) {
    std::string planned = "(" + runtime_comparison(0, "ward", CompareOp::Eq) + " AND " +
                          runtime_comparison(1, "date", CompareOp::Lt) + ")";
    std::vector<ComparedValue> values{exact("7"), {ComparedValue::Kind::AboveAll, {}}};
    EXPECT_EQ(render_where(planned, values), "((ward = 7) AND (date = date))");
    // Plain EXPLAIN shows the parameters by number.
    EXPECT_EQ(render_where(planned, {exact("$1"), exact("$2")}), "((ward = $1) AND (date < $2))");
}

TEST(RenderWhere, PlaceholderBytesInsideAStringLiteralAreText) {
    // fbi_code = E'\x010\x02' must stay that text, not become runtime value 0.
    std::string literal = "'\x01"
                          "0\x02 it''s'";
    std::string planned = "((ward = 26) OR (fbi_code = " + literal + ")) AND " +
                          runtime_comparison(0, "beat", CompareOp::Ne);
    EXPECT_EQ(render_where(planned, {exact("'1"
                                           "'")}),
              "((ward = 26) OR (fbi_code = " + literal + ")) AND (beat != '1')");
}

TEST(RenderWhere, RefusesMalformedPlans) {
    std::vector<ComparedValue> one{exact("1")};
    EXPECT_THROW(render_where("(a = 'open", one), Error);
    EXPECT_THROW(render_where("\x01"
                              "0",
                              one),
                 Error);
    EXPECT_THROW(render_where(runtime_comparison(1, "a", CompareOp::Eq), one), Error);
    EXPECT_THROW(render_where("\x01x\x1f=\x1f"
                              "a\x02",
                              one),
                 Error);
    EXPECT_THROW(render_where("\x01"
                              "0\x1f~\x1f"
                              "a\x02",
                              one),
                 Error);
}
