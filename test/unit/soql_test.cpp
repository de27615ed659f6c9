#include "error.hpp"
#include "percent_encoding.hpp"
#include "soql.hpp"

#include <gtest/gtest.h>

#include <cstdio>

using namespace socrata;

namespace {

// Decodes %XX (and nothing else: '+' stays '+') to check that encoding round-trips.
std::string percent_decode(const std::string &s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += char(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// The characters a query-string value may contain after encoding.
bool only_safe_chars(const std::string &s) {
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
              c == '~' || c == '%'))
            return false;
    return true;
}

} // namespace

TEST(QuoteLiteral, DoublesQuotesAndNothingElse) {
    EXPECT_EQ(quote_literal(""), "''");
    EXPECT_EQ(quote_literal("THEFT"), "'THEFT'");
    EXPECT_EQ(quote_literal("O'HARE"), "'O''HARE'");
    EXPECT_EQ(quote_literal("''"), "''''''");
    EXPECT_EQ(quote_literal("' OR 1=1 --"), "''' OR 1=1 --'");
    EXPECT_EQ(quote_literal("x' OR '1'='1"), "'x'' OR ''1''=''1'");
    // Backslashes, newlines and double quotes are plain characters in single-quoted SoQL.
    EXPECT_EQ(quote_literal("a\\'b"), "'a\\''b'");
    EXPECT_EQ(quote_literal("line1\nline2\""), "'line1\nline2\"'");
    EXPECT_EQ(quote_literal("select * where order by"), "'select * where order by'");
    EXPECT_EQ(quote_literal("caf\xC3\xA9 \xF0\x9F\x98\x80"), "'caf\xC3\xA9 \xF0\x9F\x98\x80'");
}

TEST(QuoteLiteral, RejectsNulAndInvalidUtf8) {
    for (std::string bad : {std::string("a\0b", 3), std::string("\xC3"), std::string("\xFF"),
                            std::string("a\xED\xA0\x80")}) {
        try {
            quote_literal(bad);
            ADD_FAILURE() << "accepted invalid literal";
        } catch (const Error &e) {
            EXPECT_EQ(e.kind(), ErrorKind::Untranslatable);
        }
    }
}

TEST(QuoteIdentifier, PlainSystemAndBackticked) {
    EXPECT_EQ(quote_identifier("primary_type"), "primary_type");
    EXPECT_EQ(quote_identifier("_iucr"), "_iucr");
    EXPECT_EQ(quote_identifier("x2"), "x2");
    EXPECT_EQ(quote_identifier(":id"), ":id");
    EXPECT_EQ(quote_identifier(":updated_at"), ":updated_at");
    EXPECT_EQ(quote_identifier(":created_at"), ":created_at");
    EXPECT_EQ(quote_identifier(":@computed_region_awaf_s7ux"), ":@computed_region_awaf_s7ux");
    EXPECT_EQ(quote_identifier(":@a-b"), "`:@a-b`");
    // Keywords must be quoted or the parser reads them as syntax.
    EXPECT_EQ(quote_identifier("order"), "`order`");
    EXPECT_EQ(quote_identifier("SELECT"), "`SELECT`");
    EXPECT_EQ(quote_identifier("null"), "`null`");
    EXPECT_EQ(quote_identifier("where"), "`where`");
    EXPECT_EQ(quote_identifier("filter"), "`filter`"); // count(*) FILTER (WHERE ...)
    EXPECT_EQ(quote_identifier("location-city"), "`location-city`");
    EXPECT_EQ(quote_identifier("Arrest"), "`Arrest`");
    EXPECT_TRUE(is_soql_keyword("Between"));
    EXPECT_FALSE(is_soql_keyword("beat"));
}

TEST(QuoteIdentifier, RefusesNamesSoqlCannotSpell) {
    for (const char *bad : {"", "a b", "a`b", "`", "a'b", "a\"b", "2020_count", "a,b", "a)b",
                            "date; drop", ":", ":@", ":ID", ":a b", "a\nb", "caf\xC3\xA9"}) {
        try {
            quote_identifier(bad);
            ADD_FAILURE() << "accepted " << bad;
        } catch (const Error &e) {
            EXPECT_EQ(e.kind(), ErrorKind::InvalidOption) << bad;
            EXPECT_NE(std::string(e.what()).find("cannot be written in SoQL"), std::string::npos);
            EXPECT_FALSE(e.hint().empty());
        }
    }
}

TEST(PercentEncoding, KeepsOnlyUnreserved) {
    EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
    EXPECT_EQ(percent_encode("a b&c=d#e%f+g'h\"i/j?k"),
              "a%20b%26c%3Dd%23e%25f%2Bg%27h%22i%2Fj%3Fk");
    EXPECT_EQ(percent_encode("\xC3\xA9\n"), "%C3%A9%0A");
    EXPECT_EQ(percent_encode(std::string("\0", 1)), "%00");
}

TEST(SoqlQuery, BuildsQueryStringInFixedOrder) {
    SoqlQuery q;
    EXPECT_EQ(q.to_query_string(), "");
    q.select = {"id", "date", "count(*)"};
    q.where = "primary_type = 'THEFT'";
    q.group = "id";
    q.having = "count(*) > 1";
    q.order = ":id";
    q.limit = 1000;
    q.offset = 0;
    EXPECT_EQ(q.to_query_string(),
              "$select=id%2Cdate%2Ccount%28%2A%29&$where=primary_type%20%3D%20%27THEFT%27"
              "&$group=id&$having=count%28%2A%29%20%3E%201&$order=%3Aid&$limit=1000&$offset=0");
}

TEST(SoqlQuery, HostileLiteralsCannotChangeTheRequestShape) {
    const std::string hostile[] = {
        "' OR 1=1 --",
        "x&$limit=1",
        "x#frag",
        "100%",
        "%27",
        "a+b",
        "a b",
        "\xE2\x82\xAC\xF0\x9F\x98\x80",
        "select * from x where true order by y limit 1",
        "x\r\nX-Injected: 1",
        "x\"y",
        "a=b&c",
    };
    for (const std::string &h : hostile) {
        SoqlQuery q;
        q.where = "description = " + quote_literal(h);
        const std::string qs = q.to_query_string();
        ASSERT_EQ(qs.rfind("$where=", 0), 0u) << qs;
        const std::string value = qs.substr(7);
        EXPECT_TRUE(only_safe_chars(value)) << qs;       // one parameter, no '&', '#', '+', ' '
        EXPECT_EQ(percent_decode(value), q.where) << qs; // and it decodes to exactly the clause
    }
}

TEST(SoqlQuery, NegativeLimitOrOffsetIsAnError) {
    SoqlQuery q;
    q.limit = -1;
    EXPECT_THROW(q.to_query_string(), Error);
    q.limit.reset();
    q.offset = -5;
    EXPECT_THROW(q.to_query_string(), Error);
}

TEST(ResourceUrl, BuildsResourceAndMetadataUrls) {
    SoqlQuery q;
    q.where = "arrest = true";
    q.limit = 2;
    EXPECT_EQ(build_resource_url("https://data.cityofchicago.org/", "ijzp-q8t2", "json", q),
              "https://data.cityofchicago.org/resource/ijzp-q8t2.json?"
              "$where=arrest%20%3D%20true&$limit=2");
    EXPECT_EQ(build_resource_url("http://127.0.0.1:8089", "ijzp-q8t2", "csv", SoqlQuery{}),
              "http://127.0.0.1:8089/resource/ijzp-q8t2.csv");
    EXPECT_EQ(build_metadata_url("https://data.cityofchicago.org", "6zsd-86xi"),
              "https://data.cityofchicago.org/api/views/6zsd-86xi.json");
}

TEST(ResourceUrl, RejectsBadDatasetIdsAndFormats) {
    try {
        build_resource_url("https://x.org", "../../api", "json", SoqlQuery{});
        ADD_FAILURE();
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::InvalidOption);
        EXPECT_NE(std::string(e.what()).find("\"dataset\""), std::string::npos);
    }
    EXPECT_THROW(build_resource_url("https://x.org", "ijzp-q8t2", "xml", SoqlQuery{}), Error);
    EXPECT_THROW(build_metadata_url("https://x.org", "ijzp-q8t2?x"), Error);
}

TEST(PercentEncoding, EncodedSizeMatchesTheEncoding) {
    for (std::string_view value : {"", "abc-._~", "a b", "(id IN (1, 2))",
                                   "\xC5\x81\xC3\xB3"
                                   "d\xC5\xBA"})
        EXPECT_EQ(percent_encoded_size(value), percent_encode(value).size()) << value;
}

TEST(BoundedConjunction, AndsConditionsWhileTheEncodedTextFits) {
    // "(a = 1)" encodes to 17 bytes ("(", " ", "=", ")" take 3 each), " AND " to 9.
    BoundedConjunction where(17 + 9 + 17);
    EXPECT_TRUE(where.add("(a = 1)"));
    EXPECT_EQ(where.encoded_bytes(), 17u);
    EXPECT_TRUE(where.add("(b = 2)"));
    EXPECT_EQ(where.text(), "(a = 1) AND (b = 2)");
    EXPECT_EQ(where.encoded_bytes(), percent_encode(where.text()).size());
    // Full: a refused condition leaves the text as it was, and a shorter one may still fit.
    EXPECT_FALSE(where.add("(c = 3)"));
    EXPECT_EQ(where.text(), "(a = 1) AND (b = 2)");
}

TEST(BoundedConjunction, ALongConditionIsRefusedAndTheNextOneTaken) {
    std::string in_list = "(id IN (";
    for (int i = 0; i < 2000; ++i)
        in_list += (i ? ", " : "") + std::to_string(10000000 + i);
    in_list += "))";
    BoundedConjunction where; // the default budget
    EXPECT_TRUE(where.add("(year = 2020)"));
    EXPECT_FALSE(where.add(in_list));
    EXPECT_TRUE(where.add("(arrest = true)"));
    EXPECT_EQ(where.text(), "(year = 2020) AND (arrest = true)");
    EXPECT_LE(where.encoded_bytes(), kMaxPushedWhereBytes);
    // A budget of zero takes nothing.
    BoundedConjunction none(0);
    EXPECT_FALSE(none.add("(a = 1)"));
    EXPECT_TRUE(none.text().empty());
}

namespace {

// n plain field names of 20 characters: field_0000_abcdefghi, field_0001_abcdefghi, ...
std::vector<std::string> wide_fields(int n) {
    std::vector<std::string> fields;
    for (int i = 0; i < n; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "field_%04d_abcdefghi", i);
        fields.emplace_back(name);
    }
    return fields;
}

} // namespace

TEST(SelectForUrl, AShortListIsSentAsItIs) {
    std::vector<std::string> items = {"id", "date", ":id"};
    EXPECT_EQ(select_for_url(items, true), items);
    // 89 fields of 20 bytes and their commas (3 bytes each, "%2C"): 2,047 bytes, within
    // kMaxSelectBytes.
    auto fields = wide_fields(89);
    EXPECT_EQ(encoded_shape_bytes(fields, "", ""), 89u * 20 + 88 * 3);
    EXPECT_EQ(select_for_url(fields, true), fields);
}

TEST(SelectForUrl, ALongListOfFieldsStarReturnsIsSentAsStar) {
    auto fields = wide_fields(90); // 2,070 bytes
    fields.insert(fields.begin() + 3, ":updated_at");
    // Named too: with $order, which scans always send, `*` leaves computed regions out. `*`
    // comes first: the portal refuses `:id,*` ("Star selections must come at the start").
    fields.insert(fields.begin() + 5, ":@computed_region_awaf_s7ux");
    fields.emplace_back(":id");
    EXPECT_EQ(select_for_url(fields, true),
              (std::vector<std::string>{"*", ":updated_at", ":@computed_region_awaf_s7ux", ":id"}));
    // Without the metadata's word that `*` returns every field, the list goes as it is (and a
    // server that refuses it says so).
    EXPECT_EQ(select_for_url(fields, false), fields);
}

TEST(EncodedShapeBytes, CountsSelectGroupAndOrderAsSent) {
    std::vector<std::string> select = {"count(*) AS a1", "year AS g2"};
    SoqlQuery q;
    q.select = select;
    q.group = "year";
    q.order = "year";
    std::string qs = q.to_query_string(); // $select=...&$group=...&$order=...
    std::size_t names = std::string("$select=&$group=&$order=").size();
    EXPECT_EQ(encoded_shape_bytes(select, "year", "year"), qs.size() - names);
}

TEST(SplitSoqlList, SplitsAtTopLevelCommasOnly) {
    EXPECT_EQ(split_soql_list("primary_type, date_trunc_ym(date)"),
              (std::vector<std::string>{"primary_type", "date_trunc_ym(date)"}));
    EXPECT_EQ(split_soql_list("coalesce(a, 'x, y'), `odd, name`,b"),
              (std::vector<std::string>{"coalesce(a, 'x, y')", "`odd, name`", "b"}));
    EXPECT_EQ(split_soql_list("'it''s, here'"), (std::vector<std::string>{"'it''s, here'"}));
    EXPECT_TRUE(split_soql_list("").empty());
    EXPECT_TRUE(split_soql_list("  ").empty());
}
