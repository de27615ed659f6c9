#include "csv_row_decoder.hpp"
#include "error.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace socrata;
using namespace socrata::test;

namespace {

Rows decode(const std::string &body, const std::vector<std::string> &fields,
            const std::vector<std::size_t> &chunks = {}) {
    return decode_with<CsvRowDecoder>(body, fields, chunks);
}

Error decode_error(const std::string &body, const std::vector<std::string> &fields = {"a"},
                   DecoderLimits limits = {}) {
    return decode_error_with<CsvRowDecoder>(body, fields, limits);
}

const std::string kTricky = "\"a\",\"b\",c,\"d\"\r\n"
                            "\"plain\",\"has, comma\",\"say \"\"hi\"\"\",\"line1\nline2\"\r\n"
                            ",\"\",unquoted text,caf\xC3\xA9 \xF0\x9F\x98\x80\n"
                            "\"\"\"\",x,\"\r\n\",\n"
                            "last,row,no,newline";

} // namespace

TEST(CsvRowDecoder, DecodesRealCrimesExport) {
    const std::string body = read_fixture("crimes_head.csv");
    Rows rows = decode(body, {"id", "date", "arrest", "beat", "latitude", "id"});
    ASSERT_EQ(rows.size(), 300u);
    EXPECT_EQ(rows[0][0], str("879"));
    EXPECT_EQ(rows[0][1], str("2001-06-20T00:59:00.000"));
    EXPECT_EQ(rows[0][2], str("true"));
    EXPECT_EQ(rows[0][3], str("0734"));
    EXPECT_EQ(rows[0][4], str("41.76766456"));
    EXPECT_EQ(rows[0][5], rows[0][0]);
    EXPECT_EQ(rows[1][4], null()); // empty cell
}

// The portal's CSV names every field asked for in its header. A body whose header lacks one
// is not the answer (a maintenance page served with 200 read as all-NULL rows, and a pushed
// count(*) as NULL): an error naming the field, and what the header has.
TEST(CsvRowDecoder, AHeaderWithoutAWantedFieldIsAnError) {
    Error page =
        decode_error("<html>\n<body>Service temporarily unavailable</body>\n</html>\n", {"count"});
    EXPECT_EQ(page.kind(), ErrorKind::BadResponse);
    EXPECT_NE(std::string(page.what()).find("the header has no field \"count\","),
              std::string::npos)
        << page.what();
    EXPECT_NE(page.detail().find("Its header's fields: \"<html>\"."), std::string::npos)
        << page.detail();
    Error crimes = decode_error(read_fixture("crimes_head.csv"), {"id", "no_such_field"});
    EXPECT_NE(std::string(crimes.what()).find("no field \"no_such_field\""), std::string::npos);
    // Also with no row after the header, and without its line end.
    EXPECT_EQ(decode_error("\"a\"\n", {"a", "b"}).kind(), ErrorKind::BadResponse);
    EXPECT_EQ(decode_error("\"a\"", {"a", "b"}).kind(), ErrorKind::BadResponse);
}

TEST(CsvRowDecoder, QuotingNewlinesAndNulls) {
    Rows rows = decode(kTricky, {"a", "b", "c", "d"});
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0], (std::vector<Cell>{str("plain"), str("has, comma"), str("say \"hi\""),
                                          str("line1\nline2")}));
    // An empty field is NULL; a quoted empty one the empty string, as Socrata's exporter
    // (which quotes every non-null cell) and COPY's CSV mean them.
    EXPECT_EQ(rows[1], (std::vector<Cell>{null(), str(""), str("unquoted text"),
                                          str("caf\xC3\xA9 \xF0\x9F\x98\x80")}));
    EXPECT_EQ(rows[2], (std::vector<Cell>{str("\""), str("x"), str("\r\n"), null()}));
    EXPECT_EQ(rows[3], (std::vector<Cell>{str("last"), str("row"), str("no"), str("newline")}));
}

TEST(CsvRowDecoder, AQuotedEmptyLastFieldIsTheEmptyString) {
    Rows rows = decode("\"a\",\"b\"\n\"x\",\"\"\n\"y\",\n\"z\",\"\"", {"a", "b"});
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0], (std::vector<Cell>{str("x"), str("")}));
    EXPECT_EQ(rows[1], (std::vector<Cell>{str("y"), null()}));
    EXPECT_EQ(rows[2], (std::vector<Cell>{str("z"), str("")})); // no line end after it
}

TEST(CsvRowDecoder, AnEmptyLastFieldAtTheBodysEndLeavesTheFieldBeforeIt) {
    // No line end after the last record, which ends with a delimiter: its last field is NULL
    // and the quoted empty field before it stays the empty string.
    for (const char *end : {"", "\n"}) {
        Rows rows = decode(std::string("\"a\",\"b\",\"c\"\n\"x\",\"\",\n\"y\",\"\",") + end,
                           {"a", "b", "c"});
        ASSERT_EQ(rows.size(), 2u) << "end: '" << end << "'";
        EXPECT_EQ(rows[0], (std::vector<Cell>{str("x"), str(""), null()}));
        EXPECT_EQ(rows[1], (std::vector<Cell>{str("y"), str(""), null()}))
            << "end: '" << end << "'";
    }
}

// When only a closed connection showed where the body ends, a last record without its line
// end was cut short (the portal ends every record with one): an error, not a shorter value.
TEST(CsvRowDecoder, ALastRecordWithoutItsLineEndIsACutWhenTheBodysEndWasNotMarked) {
    for (const char *body :
         {"\"a\",\"b\"\n\"x\",\"1\"\n\"y\",2", "\"a\",\"b\"\n\"x\",\"1\"\n\"y\",",
          "\"a\",\"b\"\n\"x\",\"1\"\n\"y\",\"2\""}) {
        Rows rows;
        CsvRowDecoder d({"a", "b"}, collect_into(rows), "http://h/resource/abcd-1234.csv");
        d.feed(body);
        try {
            d.finish(false);
            ADD_FAILURE() << "no error for " << body;
        } catch (const Error &e) {
            EXPECT_EQ(e.kind(), ErrorKind::BadResponse);
            EXPECT_NE(std::string(e.what()).find("truncated response body"), std::string::npos)
                << e.what();
            EXPECT_NE(std::string(e.what()).find("record 2"), std::string::npos) << e.what();
            EXPECT_NE(e.detail().find("did not mark where its body ends"), std::string::npos)
                << e.detail();
            EXPECT_NE(e.detail().find("http://h/resource/abcd-1234.csv"), std::string::npos);
        }
        EXPECT_EQ(rows.size(), 1u) << body;
    }
    // Ended at a line end, the same body is whole as far as CSV can tell.
    Rows rows;
    CsvRowDecoder d({"a", "b"}, collect_into(rows));
    d.feed("\"a\",\"b\"\n\"x\",\"1\"\r\n\"y\",\"2\"\n");
    d.finish(false);
    EXPECT_EQ(rows.size(), 2u);
}

TEST(CsvRowDecoder, ChunkBoundariesAnywhereGiveIdenticalRows) {
    const std::string real = read_fixture("crimes_head.csv");
    const std::vector<std::string> real_fields = {"id", "block", "date", "longitude"};
    for (const auto &[body, fields] :
         {std::make_pair(kTricky, std::vector<std::string>{"a", "b", "c", "d"}),
          std::make_pair(real, real_fields)}) {
        const Rows expected = decode(body, fields);
        EXPECT_EQ(decode(body, fields, {1}), expected);
        std::mt19937 rng(5);
        for (int round = 0; round < 20; ++round) {
            std::vector<std::size_t> sizes;
            for (int i = 0; i < 32; ++i)
                sizes.push_back(std::uniform_int_distribution<std::size_t>(1, 23)(rng));
            EXPECT_EQ(decode(body, fields, sizes), expected) << "round " << round;
        }
    }
}

TEST(CsvRowDecoder, HeaderOnlyAndHeaderAccess) {
    Rows rows;
    CsvRowDecoder d({"b"}, collect_into(rows));
    d.feed("\"a\",\"b\"\n");
    d.finish();
    EXPECT_EQ(rows.size(), 0u);
    EXPECT_EQ(d.header(), (std::vector<std::string>{"a", "b"}));
}

TEST(CsvRowDecoder, RowIndexAndOffset) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
    CsvRowDecoder d({"a"},
                    [&](const RowView &r) { seen.emplace_back(r.row_index(), r.byte_offset()); });
    d.feed("a\n1\n22\n");
    d.finish();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0], std::make_pair(std::uint64_t(0), std::uint64_t(2)));
    EXPECT_EQ(seen[1], std::make_pair(std::uint64_t(1), std::uint64_t(4)));
}

TEST(CsvRowDecoder, MalformedInputNamesOffsetAndRecord) {
    struct Case {
        const char *body;
        const char *expected;
    };
    const Case cases[] = {
        {"a,b\n1,x\"y\n", "at byte offset 7: '\"' inside an unquoted field"},
        {"a,b\n1,\"x\"y\n", "at byte offset 9: expected ',' or a line end after a closing"},
        {"a,b\n1,2,3\n", "record 1 has more fields than the 2 in the header"},
        {"a,b\n1,2\n3\n", "record 2 has 1 fields but the header has 2"},
        {"a,b\n1,2\n\n", "record 2 has 1 fields"},
        {"a,b\n\xC3\x28,1\n", "invalid UTF-8"},
        {"a,b\n\"\xE2\x82\",1\n", "invalid UTF-8"},
        {"a,b\n1,\"open", "ended at byte offset 11 inside a quoted field of record 1"},
        {"\"a", "inside a quoted field of the header"},
        {"", "empty response body"},
    };
    for (const Case &c : cases) {
        Error e = decode_error(c.body, {"a", "b"});
        EXPECT_EQ(e.kind(), ErrorKind::BadResponse) << c.body;
        EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos)
            << c.body << " -> " << e.what();
    }
    // A NUL byte would end the value early (quoted or not, and past the word-at-a-time scan).
    using namespace std::string_literals;
    for (const std::string &body :
         {"a,b\n1,x\0y\n"s, "a,b\n1,\"x\0y\"\n"s, "a,b\n1,\"a long value then \0y\"\n"s}) {
        Error nul = decode_error(body, {"a", "b"});
        EXPECT_NE(std::string(nul.what()).find("a NUL byte (0x00) in a value"), std::string::npos)
            << nul.what();
    }
    Error e = decode_error("id,name\n1,x\n2,\"a\"b\n", {"id"});
    EXPECT_NE(e.detail().find("In record 2, field 2 (\"name\")"), std::string::npos) << e.detail();
}

TEST(CsvRowDecoder, ErrorObjectBody) {
    Error e = decode_error(read_fixture("socrata_error_403_body__sodapy_test_data.json"));
    EXPECT_NE(std::string(e.what()).find("You must be logged in"), std::string::npos) << e.what();
    // The code and the body's source, in the detail (the same sentences as JsonRowDecoder's).
    Rows rows;
    CsvRowDecoder d({"a"}, collect_into(rows), "https://x.test/resource/abcd-1234.csv");
    d.feed(read_fixture("socrata_error_400_query.compiler.malformed__sfgov_example.json"));
    try {
        d.finish();
        ADD_FAILURE() << "no error";
    } catch (const Error &e2) {
        EXPECT_EQ(e2.detail(), "Socrata error code: query.compiler.malformed. Response from "
                               "https://x.test/resource/abcd-1234.csv.");
    }
    // Without a source, the code alone (it once ended with a stray space).
    CsvRowDecoder unnamed({"a"}, collect_into(rows));
    unnamed.feed(read_fixture("socrata_error_400_query.compiler.malformed__sfgov_example.json"));
    try {
        unnamed.finish();
        ADD_FAILURE() << "no error";
    } catch (const Error &e3) {
        EXPECT_EQ(e3.detail(), "Socrata error code: query.compiler.malformed.");
    }
}

TEST(CsvRowDecoder, ValueSizeLimit) {
    DecoderLimits small;
    small.max_value_bytes = 8;
    Rows rows;
    CsvRowDecoder d({"a"}, collect_into(rows), "", small);
    EXPECT_THROW(d.feed("a,b\n\"0123456789\",1\n"), Error);
    // Unwanted fields of any size are fine.
    Rows rows2;
    CsvRowDecoder d2({"b"}, collect_into(rows2), "", small);
    d2.feed("a,b\n\"0123456789\",1\n");
    d2.finish();
    EXPECT_EQ(rows2.at(0)[0], str("1"));
}

// The header and a row are bounded too: a hostile or broken server cannot make one record
// take memory without limit, wanted fields or not.
TEST(CsvRowDecoder, HeaderAndRowSizeLimits) {
    DecoderLimits small;
    small.max_value_bytes = 8;
    small.max_row_bytes = 16;
    const std::vector<std::string> fields = {"a", "b", "c", "d"};
    const Error header = decode_error("a,b," + std::string(20, 'h') + "\n1,2,3\n", fields, small);
    EXPECT_EQ(header.kind(), ErrorKind::BadResponse);
    EXPECT_NE(std::string(header.what()).find("header field larger than"), std::string::npos)
        << header.what();
    // Four wanted values of 6 bytes: each within the value limit, 24 bytes past the row's.
    const Error row = decode_error("a,b,c,d\nxxxxxx,yyyyyy,zzzzzz,wwwwww\n", fields, small);
    EXPECT_EQ(row.kind(), ErrorKind::BadResponse);
    EXPECT_NE(std::string(row.what()).find("row larger than"), std::string::npos) << row.what();
    Rows rows;
    CsvRowDecoder within(fields, collect_into(rows), "", small);
    EXPECT_NO_THROW({
        within.feed("a,b,c,d\nxxx,yyy,zzz,www\n");
        within.finish();
    });
    EXPECT_EQ(rows.size(), 1u);

    std::string wide;
    for (std::size_t i = 0; i <= CsvRowDecoder::kMaxColumns; ++i)
        wide += (i ? ",c" : "c") + std::to_string(i);
    const Error columns = decode_error(wide + "\n", {"c1"});
    EXPECT_NE(std::string(columns.what()).find("more than 10000 columns in the header"),
              std::string::npos)
        << columns.what();
}

// Random edits of a tricky body: the decoder must never crash or throw anything but
// socrata::Error, and where the body is cut into chunks must not matter: three bytes at a
// time gives the same rows, or the same error, as the whole body at once.
TEST(CsvRowDecoder, MutatedBodiesEitherDecodeOrThrowError) {
    struct Outcome {
        Rows rows;
        std::string error;
    };
    auto decode_in = [](const std::string &body, std::size_t chunk) {
        Outcome out;
        CsvRowDecoder d({"a", "b", "c", "d"}, collect_into(out.rows));
        try {
            for (std::size_t pos = 0; pos < body.size(); pos += chunk)
                d.feed(body.data() + pos, std::min(chunk, body.size() - pos));
            d.finish();
        } catch (const Error &e) {
            out.error = std::string(e.what()) + " | " + e.detail();
        }
        return out;
    };
    std::mt19937 rng(77);
    int errors = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string body = kTricky;
        const std::size_t at = rng() % body.size();
        if (rng() % 2)
            body[at] = "\",\r\n\xC3x"[rng() % 6];
        else
            body.erase(at, 1 + rng() % 3);
        const Outcome whole = decode_in(body, body.size());
        const Outcome chunked = decode_in(body, 3);
        ASSERT_EQ(chunked.error, whole.error) << body;
        if (whole.error.empty()) {
            ASSERT_EQ(chunked.rows, whole.rows) << body;
        }
        errors += !whole.error.empty();
    }
    // The edits break the quoting often enough that both outcomes were compared.
    EXPECT_GT(errors, 300);
    EXPECT_LT(errors, 2700);
}

TEST(CsvRowDecoder, EachRowComesWithABlockHoldingItsTerminatedValues) {
    // RowView::block's promise, which Page::append relies on to copy a row at once: every
    // non-null value lies inside the block and is followed by a NUL there, for every chunk size.
    for (std::size_t chunk = 1; chunk <= kTricky.size(); ++chunk) {
        std::size_t rows = 0, values = 0;
        CsvRowDecoder decoder({"a", "b", "c", "d", "a"}, [&](const RowView &row) {
            values += expect_values_in_block(row);
            ++rows;
        });
        for (std::size_t at = 0; at < kTricky.size(); at += chunk)
            decoder.feed(kTricky.data() + at, std::min(chunk, kTricky.size() - at));
        decoder.finish();
        ASSERT_EQ(rows, 4u);
        ASSERT_EQ(values, 5u + 3u + 4u + 5u) << "chunk size " << chunk;
    }
}
