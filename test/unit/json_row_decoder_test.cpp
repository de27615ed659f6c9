#include "error.hpp"
#include "json_row_decoder.hpp"
#include "redact.hpp"
#include "test_support.hpp"
#include "utf8_validator.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace socrata;
using namespace socrata::test;

namespace {

const std::vector<std::string> kCrimeFields = {"id",       "date", "arrest", "beat",
                                               "location", "ward", "id"};

// Decodes `body` in chunks of the given sizes (cycled); none = one piece.
Rows decode(const std::string &body, const std::vector<std::string> &fields,
            const std::vector<std::size_t> &chunks = {}) {
    return decode_with<JsonRowDecoder>(body, fields, chunks);
}

Rows decode_random_chunks(const std::string &body, const std::vector<std::string> &fields,
                          unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> len(1, 17);
    std::vector<std::size_t> sizes;
    for (int i = 0; i < 64; ++i)
        sizes.push_back(len(rng));
    return decode(body, fields, sizes);
}

// The Error thrown while decoding `body` in one piece (fails the test if none is thrown).
Error decode_error(const std::string &body, const std::vector<std::string> &fields = {"a"},
                   DecoderLimits limits = {}) {
    return decode_error_with<JsonRowDecoder>(body, fields, limits);
}

// A body exercising every kind of value, escape and nesting, for chunking tests.
const std::string kTrickyBody =
    "[ {\"a\" : \"plain\", \"b\":\"tab\\there \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\","
    " \"c\": \"\\u00e9\\u20AC\\uD83D\\uDE00 caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\","
    " \"d\" : -12.5e+3, \"e\": true, \"f\": false, \"g\": null,"
    " \"h\": {\"type\" : \"Point\", \"coordinates\": [ -87.6, 41.8 ], \"s\": \"x\\\"y\\u00e9\"},"
    " \"skip\": {\"deep\": [[[{\"z\": \"\\uD83D\\uDE00\"}]]], \"n\": 0.5e-2},"
    " \"i\": [], \"j\": {}, \"d\\u0061te\": \"escaped key\"},\n"
    "{\"a\":\"second\",\"zz\":[1,2,{\"q\":null}],\"e\":false}\n,{}]\n";

const std::vector<std::string> kTrickyFields = {"a", "b", "c", "d", "e",    "f",
                                                "g", "h", "i", "j", "date", "missing"};

} // namespace

TEST(JsonRowDecoder, DecodesRealSodaRows) {
    const std::string body = read_fixture("socrata_resource_rows_6zsd-86xi_sample.json");
    Rows rows = decode(body, kCrimeFields);
    ASSERT_EQ(rows.size(), 15u);
    EXPECT_EQ(rows[0][0], str("2068284"));
    EXPECT_EQ(rows[0][1], str("2002-04-07T14:45:00.000"));
    EXPECT_EQ(rows[0][2], boolean(false));
    EXPECT_EQ(rows[0][3], str("0511"));
    EXPECT_EQ(rows[0][4], object("{\"type\":\"Point\",\"coordinates\":[-87.622652,41.711841]}"));
    EXPECT_EQ(rows[0][5], null());     // ward is omitted in this sample: missing means null
    EXPECT_EQ(rows[0][6], rows[0][0]); // a field wanted twice fills both slots
    EXPECT_EQ(rows[1][2], boolean(true));
    EXPECT_EQ(rows[14][0], str("1973714"));
}

TEST(JsonRowDecoder, EveryValueKindAndEscape) {
    Rows rows = decode(kTrickyBody, kTrickyFields);
    ASSERT_EQ(rows.size(), 3u);
    const auto &r = rows[0];
    EXPECT_EQ(r[0], str("plain"));
    EXPECT_EQ(r[1], str("tab\there \"q\" \\ / \b\f\n\r"));
    EXPECT_EQ(r[2], str("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 caf\xC3\xA9 \xE2\x82\xAC "
                        "\xF0\x9F\x98\x80"));
    EXPECT_EQ(r[3], num("-12.5e+3"));
    EXPECT_EQ(r[4], boolean(true));
    EXPECT_EQ(r[5], boolean(false));
    EXPECT_EQ(r[6], null());
    // Nested values come back as compact JSON, strings inside them still escaped.
    EXPECT_EQ(r[7], object("{\"type\":\"Point\",\"coordinates\":[-87.6,41.8],"
                           "\"s\":\"x\\\"y\\u00e9\"}"));
    EXPECT_EQ(r[8], array("[]"));
    EXPECT_EQ(r[9], object("{}"));
    EXPECT_EQ(r[10], str("escaped key")); // "d\u0061te" is the key "date"
    EXPECT_EQ(r[11], null());

    EXPECT_EQ(rows[1][0], str("second"));
    EXPECT_EQ(rows[1][4], boolean(false));
    EXPECT_EQ(rows[1][7], null());
    for (const Cell &c : rows[2])
        EXPECT_EQ(c, null());
}

TEST(JsonRowDecoder, ChunkBoundariesAnywhereGiveIdenticalRows) {
    const std::string real = read_fixture("socrata_resource_rows_6zsd-86xi_sample.json");
    for (const auto &[body, fields] :
         {std::make_pair(kTrickyBody, kTrickyFields), std::make_pair(real, kCrimeFields)}) {
        const Rows expected = decode(body, fields);
        EXPECT_EQ(decode(body, fields, {1}), expected) << "byte by byte";
        for (unsigned seed = 1; seed <= 20; ++seed)
            EXPECT_EQ(decode_random_chunks(body, fields, seed), expected) << "seed " << seed;
    }
}

TEST(JsonRowDecoder, EmptyFeedsAndEmptyArray) {
    Rows rows;
    JsonRowDecoder d({"a"}, collect_into(rows));
    d.feed("", 0);
    d.feed(" \n[");
    d.feed("", 0);
    d.feed(" ] \n");
    d.finish();
    EXPECT_EQ(d.rows(), 0u);
    EXPECT_EQ(d.bytes_consumed(), 7u);
}

TEST(JsonRowDecoder, RowViewReportsIndexAndOffset) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
    JsonRowDecoder d(
        {"a"}, [&](const RowView &row) { seen.emplace_back(row.row_index(), row.byte_offset()); });
    d.feed("[{\"a\":1},\n {\"a\":2}]");
    d.finish();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0], std::make_pair(std::uint64_t(0), std::uint64_t(1)));
    EXPECT_EQ(seen[1], std::make_pair(std::uint64_t(1), std::uint64_t(11)));
}

TEST(JsonRowDecoder, UnknownFieldsAreSkippedWithoutCost) {
    // The wanted field comes after a large unknown value; only the wanted one is kept.
    std::string big(1 << 20, 'x');
    std::string body = "[{\"junk\":\"" + big + "\",\"nested\":{\"a\":\"not me\"},\"a\":\"me\"}]";
    Rows rows = decode(body, {"a"});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], str("me"));
}

TEST(JsonRowDecoder, DuplicateKeyLastOneWins) {
    Rows rows = decode("[{\"a\":\"first\",\"a\":\"second\"},{\"a\":\"x\",\"a\":null}]", {"a"});
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0][0], str("second"));
    EXPECT_EQ(rows[1][0], null());
}

TEST(JsonRowDecoder, TruncatedBodyAtEveryPositionIsAnError) {
    const std::string body =
        "[{\"a\":\"x\\u00e9y\",\"b\":[1,{\"c\":true}],\"d\":-1.5},{\"a\":null}]";
    for (std::size_t cut = 0; cut < body.size(); ++cut) {
        Rows rows;
        JsonRowDecoder d({"a", "b"}, collect_into(rows));
        d.feed(body.data(), cut);
        try {
            d.finish();
            ADD_FAILURE() << "no error when cut at " << cut;
        } catch (const Error &e) {
            EXPECT_EQ(e.kind(), ErrorKind::BadResponse) << cut;
            const std::string what = e.what();
            if (cut == 0)
                EXPECT_NE(what.find("empty response body"), std::string::npos) << what;
            else
                EXPECT_NE(what.find("truncated response body"), std::string::npos) << what;
        }
    }
}

TEST(JsonRowDecoder, TruncationMessageNamesOffsetAndRow) {
    Error e = decode_error("[{\"a\":\"1\"},{\"a\":\"2");
    EXPECT_STREQ(e.what(), "truncated response body: it ended at byte offset 18 inside row 2");
    EXPECT_FALSE(e.hint().empty());
}

struct MalformedCase {
    const char *body;
    std::uint64_t offset;
    const char *expected;
};

TEST(JsonRowDecoder, MalformedInputNamesOffsetAndExpectation) {
    const MalformedCase cases[] = {
        {"<html>", 0, "expected '['"},
        {"[1]", 1, "expected '{' to start row 1"},
        {"[{\"a\" 1}]", 6, "expected ':'"},
        {"[{\"a\":1 \"b\":2}]", 8, "expected ',' or '}'"},
        {"[{\"a\":1},{\"a\":2}}", 16, "expected ',' or ']'"},
        {"[{\"a\":1,}]", 8, "expected a field name after ','"},
        {"[{a:1}]", 2, "expected a field name or '}'"},
        {"[{\"a\":tru}]", 9, "invalid literal"},
        {"[{\"a\":nul1}]", 9, "invalid literal"},
        {"[{\"a\":-x}]", 7, "expected a digit after '-'"},
        {"[{\"a\":01}]", 7, "leading zero"},
        {"[{\"a\":1.}]", 8, "expected a digit after '.'"},
        {"[{\"a\":1e}]", 8, "exponent"},
        {"[{\"a\":+1}]", 6, "expected a value"},
        {"[{\"a\":\"\\x\"}]", 8, "invalid escape"},
        {"[{\"a\":\"\\u12G4\"}]", 11, "hex digits"},
        {"[{\"a\":\"\\uDC00\"}]", 12, "unpaired UTF-16 low surrogate"},
        {"[{\"a\":\"\\uD83Dx\"}]", 13, "high surrogate not followed"},
        {"[{\"a\":\"\\uD83D\\u0041\"}]", 18, "high surrogate not followed"},
        {"[{\"a\":\"a\nb\"}]", 8, "control character"},
        {"[{\"a\":\"\xC3\x28\"}]", 8, "invalid UTF-8"},
        {"[{\"a\":\"\xED\xA0\x80\"}]", 8, "invalid UTF-8"}, // encoded surrogate
        {"[{\"a\":\"\xC0\xAF\"}]", 7, "invalid UTF-8"},     // overlong
        {"[{\"zz\":\"\xFF\"}]", 8, "invalid UTF-8"},        // also checked when skipped
        {"[{\"a\":1}] x", 10, "unexpected data after the end"},
        {"[{\"a\":1}][", 9, "unexpected data after the end"},
    };
    for (const MalformedCase &c : cases) {
        Error e = decode_error(c.body);
        EXPECT_EQ(e.kind(), ErrorKind::BadResponse) << c.body;
        const std::string what = e.what();
        EXPECT_NE(what.find("at byte offset " + std::to_string(c.offset) + ":"), std::string::npos)
            << c.body << " -> " << what;
        EXPECT_NE(what.find(c.expected), std::string::npos) << c.body << " -> " << what;
    }
}

TEST(JsonRowDecoder, MalformedErrorDetailNamesRowAndField) {
    Error e = decode_error("[{\"a\":\"ok\"},{\"a\":\"bad\\q\"}]");
    EXPECT_NE(std::string(e.detail()).find("In row 2, field \"a\""), std::string::npos)
        << e.detail();
    // The quote reaches the end of the chunk: marked as cut (the body might go on).
    EXPECT_NE(std::string(e.detail()).find("\"q\\\"}]...\""), std::string::npos) << e.detail();
}

TEST(JsonRowDecoder, NulInStringValueIsAConversionError) {
    Error e = decode_error("[{\"a\":\"x\\u0000y\"}]");
    EXPECT_EQ(e.kind(), ErrorKind::Untranslatable);
    // In skipped fields and raw JSON it is harmless.
    Rows rows = decode("[{\"b\":\"x\\u0000\",\"c\":{\"d\":\"\\u0000\"}}]", {"c"});
    EXPECT_EQ(rows[0][0], object("{\"d\":\"\\u0000\"}"));
}

TEST(JsonRowDecoder, RejectsAbsurdNestingAndSizes) {
    std::string deep = "[{\"a\":" + std::string(70, '[') + std::string(70, ']') + "}]";
    Error e1 = decode_error(deep);
    EXPECT_NE(std::string(e1.what()).find("nested deeper than 64"), std::string::npos) << e1.what();

    DecoderLimits small;
    small.max_value_bytes = 16;
    Error e2 = decode_error("[{\"a\":\"" + std::string(40, 'y') + "\"}]", {"a"}, small);
    EXPECT_NE(std::string(e2.what()).find("value larger than"), std::string::npos) << e2.what();
    Error e3 = decode_error("[{\"a\":[" + std::string(20, '1') + "]}]", {"a"}, small);
    EXPECT_NE(std::string(e3.what()).find("value larger than"), std::string::npos) << e3.what();
    // Values each within the limit, together past the row's.
    DecoderLimits small_row;
    small_row.max_row_bytes = 16;
    Error e4 =
        decode_error(R"([{"a":"xxxxxx","b":"yyyyyy","c":"zzzzzz"}])", {"a", "b", "c"}, small_row);
    EXPECT_NE(std::string(e4.what()).find("row larger than"), std::string::npos) << e4.what();
    // An unwanted value of any size costs no memory and is no error.
    Rows rows;
    JsonRowDecoder d({"a"}, collect_into(rows), "", small);
    d.feed("[{\"b\":\"" + std::string(1000, 'y') + "\",\"a\":\"short\"}]");
    d.finish();
    EXPECT_EQ(rows.at(0)[0], str("short"));
}

TEST(JsonRowDecoder, FieldNamesAreLimitedHoweverTheBodyIsSplit) {
    // A name that arrived whole once passed unchecked, while the same name split across chunks
    // failed as a "value" (found by fuzzing).
    DecoderLimits small;
    small.max_value_bytes = 16;
    const std::string body = "[{\"" + std::string(40, 'k') + "\":\"v\"}]";
    for (std::size_t piece : {body.size(), std::size_t(3)}) {
        Rows rows;
        JsonRowDecoder d({"a"}, collect_into(rows), "", small);
        try {
            for (std::size_t pos = 0; pos < body.size(); pos += piece)
                d.feed(body.data() + pos, std::min(piece, body.size() - pos));
            d.finish();
            ADD_FAILURE() << "no error in pieces of " << piece;
        } catch (const Error &e) {
            EXPECT_NE(std::string(e.what()).find("field name larger than"), std::string::npos)
                << e.what();
        }
    }
    // Names within the limit are no error, escaped or not.
    Rows rows = decode_with<JsonRowDecoder>("[{\"a\":\"v\",\"\\u0062\":1}]", {"a", "b"}, {3});
    EXPECT_EQ(rows, (Rows{{str("v"), num("1")}}));
}

TEST(JsonRowDecoder, SizeErrorsNameWhereTheValueCrossesTheLimitNotTheChunksStart) {
    // Each body in one chunk: the offset of its start, 0, would say nothing about the value.
    DecoderLimits small;
    small.max_value_bytes = 16;
    // Raw JSON: the number's digits that cross the limit (its first digit is at 18).
    const std::string array = "[{\"a\":\"ok\"},{\"a\":[" + std::string(20, '1') + "]}]";
    Error e1 = decode_error(array, {"a"}, small);
    EXPECT_STREQ(e1.what(), "malformed JSON in response body at byte offset 19: value larger "
                            "than 0 MB");
    EXPECT_EQ(e1.detail(), "In row 2, field \"a\". Text at that offset: \"" + std::string(19, '1') +
                               "]}]...\".");
    // A literal is appended from its spelling, not the body: the offset is where it starts.
    const std::string literals = "[{\"a\":[true,true,true,true,true]}]";
    Error e2 = decode_error(literals, {"a"}, small);
    EXPECT_STREQ(e2.what(),
                 "malformed JSON in response body at byte offset 22: value larger than 0 MB");
    // ... or, if it began in an earlier chunk, where this chunk starts.
    Rows rows;
    JsonRowDecoder d({"a"}, collect_into(rows), "", small);
    d.feed(literals.substr(0, 24)); // "tr" of the fourth true
    try {
        d.feed(literals.substr(24));
        ADD_FAILURE() << "no error";
    } catch (const Error &e) {
        EXPECT_STREQ(e.what(),
                     "malformed JSON in response body at byte offset 24: value larger than 0 MB");
    }
    // An escape's character is appended from a local: the offset is the escape's.
    const std::string escaped = "[{\"a\":\"" + std::string(16, 'y') + "\\n\"}]";
    Error e3 = decode_error(escaped, {"a"}, small);
    EXPECT_STREQ(e3.what(),
                 "malformed JSON in response body at byte offset 24: value larger than 0 MB");

    // A row: where the value that took it past the limit ended.
    DecoderLimits small_row;
    small_row.max_row_bytes = 16;
    const std::string row = R"([{"a":"xxxxxx","b":"yyyyyy","c":"zzzzzz"}])";
    Error e4 = decode_error(row, {"a", "b", "c"}, small_row);
    EXPECT_EQ(std::string(e4.what()), "malformed JSON in response body at byte offset " +
                                          std::to_string(row.find('}')) + ": row larger than 0 MB");
    EXPECT_EQ(e4.detail(), "In row 1, field \"c\". Text at that offset: \"}]...\".");
}

TEST(JsonRowDecoder, ErrorObjectBodyReportsServerMessage) {
    for (const char *name : {"socrata_error_403_body__sodapy_test_data.json",
                             "socrata_error_400_query.compiler.malformed__sfgov_example.json"}) {
        const std::string body = read_fixture(name);
        Rows rows;
        JsonRowDecoder d({"a"}, collect_into(rows), "https://x.test/resource/abcd-1234.json");
        for (char c : body) // split anywhere
            d.feed(&c, 1);
        try {
            d.finish();
            ADD_FAILURE() << "no error";
        } catch (const Error &e) {
            EXPECT_EQ(e.kind(), ErrorKind::BadResponse);
            const std::string what = e.what();
            EXPECT_NE(what.find("error object instead of rows"), std::string::npos) << what;
            EXPECT_TRUE(what.find("You must be logged in") != std::string::npos ||
                        what.find("could not parse SoQL query") != std::string::npos)
                << what;
            EXPECT_NE(e.detail().find("x.test/resource"), std::string::npos) << e.detail();
        }
    }
}

// The detail quotes the body at the bad offset. A token the server echoed there and cut by the
// quote, at its 40 bytes or at the end of the chunk (the body may go on in the next one), shows
// a cut mark after its first bytes; redact() masks 8 of them or more (fewer: see
// Redact.IsNoOracleForPiecesOfTheSecret).
TEST(JsonRowDecoder, TheQuoteOfABadOffsetMarksWhereItIsCut) {
    const std::string secret = "AbCdEfGh12345678";
    const std::string body = "[{\"a\":1}" + std::string(30, 'x') + secret + "\"}]";
    const Error whole = decode_error(body);
    EXPECT_NE(whole.detail().find("\"" + std::string(30, 'x') + "AbCdEfGh12...\""),
              std::string::npos)
        << whole.detail();
    EXPECT_EQ(redact(whole.detail(), secret).find("AbCd"), std::string::npos);

    Rows rows;
    JsonRowDecoder d({"a"}, collect_into(rows));
    try {
        d.feed(body.substr(0, body.find(secret) + 8)); // the chunk ends inside the token
        ADD_FAILURE() << "no error";
    } catch (const Error &e) {
        EXPECT_NE(e.detail().find("AbCdEfGh...\""), std::string::npos) << e.detail();
        EXPECT_EQ(redact(e.detail(), secret).find("AbCd"), std::string::npos) << e.detail();
    }
}

TEST(JsonRowDecoder, CallbackExceptionsPassThroughAndPoisonTheDecoder) {
    JsonRowDecoder d({"a"}, [](const RowView &) { throw std::logic_error("stop here"); });
    EXPECT_THROW(d.feed("[{\"a\":1}"), std::logic_error);
    try {
        d.feed("]");
        ADD_FAILURE() << "decoder accepted input after an error";
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::Internal);
    }
}

TEST(JsonRowDecoder, MutatedBodiesEitherDecodeOrThrowError) {
    // Random byte flips, insertions and cuts: the decoder must never crash, hang or throw
    // anything but socrata::Error, and whatever it emits must be valid UTF-8 for strings.
    std::mt19937 rng(2024);
    int errors = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string body = kTrickyBody;
        const int edits = 1 + int(rng() % 3);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = rng() % body.size();
            switch (rng() % 3) {
            case 0:
                body[at] = char(rng() % 256);
                break;
            case 1:
                body.insert(at, 1, "{}[]\",:\\u0tfn-1e."[rng() % 18]);
                break;
            default:
                body.erase(at, 1 + rng() % 4);
                break;
            }
        }
        Rows rows;
        JsonRowDecoder d(kTrickyFields, collect_into(rows));
        try {
            std::size_t pos = 0;
            while (pos < body.size()) {
                const std::size_t n = std::min<std::size_t>(1 + rng() % 9, body.size() - pos);
                d.feed(body.data() + pos, n);
                pos += n;
            }
            d.finish();
        } catch (const Error &) {
            ++errors;
        }
        for (const auto &row : rows)
            for (const Cell &c : row)
                if (c.kind == ValueKind::String) {
                    Utf8Validator v;
                    bool ok = true;
                    for (char ch : c.text)
                        ok = ok && v.push(static_cast<unsigned char>(ch));
                    EXPECT_TRUE(ok && !v.in_sequence()) << "invalid UTF-8 emitted";
                }
    }
    EXPECT_GT(errors, 1000); // most mutations are caught
}

TEST(JsonRowDecoder, KeysInAnotherOrderOrLookingAlikeAreMatchedExactly) {
    // The decoder first tries the key that followed the previous key last time (begin_key):
    // rows whose keys come in another order, leave one out, or hold a key that starts like
    // or is a prefix of the expected one must still be read by name.
    const std::string body = "[{\"a\":\"1\",\"bb\":\"2\",\"c\":\"3\"}\n"
                             ",{\"a\":\"7\",\"bbb\":\"x\",\"bb\":\"8\"}\n"
                             ",{\"a\":\"4\",\"c\":\"5\",\"bb\":\"6\"}\n"
                             ",{\"a\":\"9\",\"b\":\"y\",\"c\":\"10\"}\n"
                             ",{\"a\":\"11\",\"b\\u0062\":\"12\",\"c\":\"13\"}\n"
                             ",{\"bb\":\"14\",\"a\":\"15\"}\n"
                             ",{\"a\":\"16\",\"bb\":\"17\",\"c\":\"18\"}]";
    const std::vector<std::string> fields = {"a", "bb", "c"};
    const Rows expected = {{str("1"), str("2"), str("3")},    {str("7"), str("8"), null()},
                           {str("4"), str("6"), str("5")},    {str("9"), null(), str("10")},
                           {str("11"), str("12"), str("13")}, {str("15"), str("14"), null()},
                           {str("16"), str("17"), str("18")}};
    EXPECT_EQ(decode(body, fields), expected);
    // The same with the keys cut across chunks.
    for (unsigned seed = 1; seed <= 20; ++seed)
        EXPECT_EQ(decode_random_chunks(body, fields, seed), expected) << seed;
}

namespace {

// What decoding a body gave: its rows, the decoder's counts, and the error's message and
// detail if it failed.
struct Decoded {
    Rows rows;
    std::uint64_t rows_counted = 0, bytes = 0, plain = 0;
    std::string error;

    bool operator==(const Decoded &o) const {
        return rows == o.rows && rows_counted == o.rows_counted && bytes == o.bytes &&
               error == o.error;
    }
};

Decoded run_decoder(const std::string &body, const std::vector<std::string> &fields,
                    std::size_t chunk, bool fast_path, DecoderLimits limits = {}) {
    Decoded out;
    JsonRowDecoder d(fields, collect_into(out.rows), "https://example.test/x.json", limits);
    d.use_fast_path(fast_path);
    try {
        for (std::size_t at = 0; at < body.size(); at += chunk)
            d.feed(body.data() + at, std::min(chunk, body.size() - at));
        d.finish();
    } catch (const Error &e) {
        out.error = std::string(e.what()) + " | " + e.detail();
    }
    out.rows_counted = d.rows();
    out.bytes = d.bytes_consumed();
    out.plain = d.plain_rows();
    return out;
}

// Decodes one row whole with the fast path and without it: the rows, the counts and any error
// (message and detail) must be the same; byte by byte (where the fast path cannot take it),
// the rows and whether it fails. Returns whether the fast path took the row.
bool fast_path_took(const std::string &row, DecoderLimits limits = {}) {
    const std::string body = "[" + row + "]";
    const std::vector<std::string> fields = {"id", "arrest", "ward", "location", "id"};
    const Decoded fast = run_decoder(body, fields, body.size(), true, limits);
    const Decoded slow = run_decoder(body, fields, body.size(), false, limits);
    const Decoded bytewise = run_decoder(body, fields, 1, true, limits);
    EXPECT_EQ(fast, slow) << row << "\n" << fast.error << "\n" << slow.error;
    EXPECT_EQ(slow.plain, 0u);
    EXPECT_EQ(fast.rows, bytewise.rows) << row;
    EXPECT_EQ(fast.error.empty(), bytewise.error.empty()) << row;
    EXPECT_EQ(bytewise.plain, 0u) << row;
    return fast.plain == 1;
}

} // namespace

TEST(JsonRowDecoder, TheFastPathTakesThePortalsRowsAndGivesTheSameValues) {
    // The real sample in the portal's compact form (docs/soda-test-server.md): the fast path
    // takes every row. Pretty-printed as saved, its points are not compact: it takes none.
    const std::string pretty = read_fixture("socrata_resource_rows_6zsd-86xi_sample.json");
    std::string compact;
    bool in_string = false;
    for (std::size_t i = 0; i < pretty.size(); ++i) {
        const char c = pretty[i];
        if (in_string && c == '\\')
            compact += pretty[i++];
        else if (c == '"')
            in_string = !in_string;
        else if (!in_string && (c == ' ' || c == '\n'))
            continue;
        compact += pretty[i];
    }
    for (const auto &[body, plain] : {std::make_pair(compact, 15u), std::make_pair(pretty, 0u)}) {
        Rows rows;
        JsonRowDecoder d(kCrimeFields, collect_into(rows));
        d.feed(body);
        d.finish();
        EXPECT_EQ(d.plain_rows(), plain);
        EXPECT_EQ(rows, decode(pretty, kCrimeFields, {1}));
    }

    // What it takes: plain strings, literals, plain numbers (wanted or not), compact points,
    // whitespace, an empty row, a duplicate key (the last wins).
    EXPECT_TRUE(fast_path_took(R"({"id":"1","arrest":true,"ward":null,"x":"y"})"));
    EXPECT_TRUE(fast_path_took(R"({"id":-12.50,"ward":0,"arrest":false,"n":-0.5,"m":7})"));
    EXPECT_TRUE(fast_path_took(R"({ "id" : "1" ,
        "arrest" : false	})"));
    EXPECT_TRUE(fast_path_took(R"({})"));
    EXPECT_TRUE(fast_path_took(R"({"id":"1","id":"2","x":null,"y":true})"));
    EXPECT_TRUE(
        fast_path_took(R"({"location":{"type":"Point","coordinates":[-87.6,41.8]},"id":""})"));
    // What it leaves to the byte-by-byte steps, which give the same rows.
    EXPECT_FALSE(fast_path_took(R"({"id":1e5})"));
    EXPECT_FALSE(fast_path_took(R"({"id":"a\"b"})"));
    EXPECT_FALSE(fast_path_took(R"({"i\u0064":"x"})"));
    EXPECT_FALSE(fast_path_took("{\"id\":\"caf\xC3\xA9\"}"));
    EXPECT_FALSE(fast_path_took(R"({"x":{"a":1},"id":"2"})"));
    EXPECT_FALSE(fast_path_took(R"({"x":[1,2],"id":"2"})"));
    EXPECT_FALSE(fast_path_took(R"({"location":{"type":"Point"},"id":"2"})"));
    EXPECT_FALSE(fast_path_took(R"({"x":"\u00e9","id":"2"})"));
    // And every malformed row, which fails the same way either way.
    for (const char *bad :
         {R"({"id":01})", R"({"id":tru})", R"({"id":"1",})", R"({"id":-})", R"({"id":1.})",
          R"({"id" "1"})", R"({"id":"1"]})", R"({"id":"1" "x"})", R"({"id":truex})",
          R"({"id":nulls})", R"({id:1})", "{\"id\":\"\x01\"}", R"({"x":1.5.5})", R"({"x":+1})",
          R"({"id":"1",,"x":2})", R"({"id":"1"x"ward":"2"})", R"({"id":true;"ward":"2"})"})
        EXPECT_FALSE(fast_path_took(bad)) << bad;

    // At the limits: a value or key as long as max_value_bytes, a row as large as
    // max_row_bytes (a terminator counted per value) are taken; one byte more is left to the
    // byte-by-byte steps, which fail the same way. A max_depth below 4 turns the path off.
    DecoderLimits limits;
    limits.max_value_bytes = 4;
    EXPECT_TRUE(fast_path_took(R"({"id":"abcd","ward":1234})", limits));
    EXPECT_FALSE(fast_path_took(R"({"id":"abcde"})", limits));
    EXPECT_FALSE(fast_path_took(R"({"ward":12345})", limits));
    EXPECT_FALSE(fast_path_took(R"({"id":false})", limits)); // "false": 5 bytes
    EXPECT_FALSE(fast_path_took(R"({"arrest":1})", limits)); // a key of 6 bytes
    EXPECT_TRUE(fast_path_took(R"({"id":"abcd","ward":"x"})", {64, 7, 64}));
    EXPECT_FALSE(fast_path_took(R"({"id":"abcd","ward":"xy"})", {64, 7, 64}));
    EXPECT_FALSE(fast_path_took(R"({"id":"1"})", {64, 256, 3}));
    EXPECT_TRUE(fast_path_took(R"({"id":"1"})", {64, 256, 4}));
}

TEST(JsonRowDecoder, AKeyOverTheLimitNamesTheFieldBeforeItHoweverItIsSplit) {
    // As when the key arrives in pieces (review helper-89: the key's own field was named when
    // it was whole in the chunk).
    const std::string body = R"([{"id":1,"abcd":2}])";
    DecoderLimits limits;
    limits.max_value_bytes = 3;
    for (bool fast : {true, false}) {
        const Decoded whole = run_decoder(body, {"id", "abcd"}, body.size(), fast, limits);
        const Decoded bytewise = run_decoder(body, {"id", "abcd"}, 1, fast, limits);
        EXPECT_NE(whole.error.find("In row 1, field \"id\"."), std::string::npos) << whole.error;
        EXPECT_NE(bytewise.error.find("In row 1, field \"id\"."), std::string::npos)
            << bytewise.error;
    }
}

TEST(JsonRowDecoder, TheFastPathPausesWhileItKeepsGivingUp) {
    // Rows it gives up on late are read twice: after a few give-ups in a row it is tried only
    // on every 32nd row, and taken up again once it succeeds.
    std::string body = "[";
    for (int i = 0; i < 1000; ++i)
        body += std::string(i ? "," : "") + R"({"id":"1","ward":"2","name":"caf\u00e9"})";
    for (int i = 0; i < 1000; ++i)
        body += R"(,{"id":"1","ward":"2","name":"cafe"})";
    body += "]";
    std::uint64_t rows = 0;
    JsonRowDecoder d({"id", "ward"}, [&](const RowView &) { ++rows; });
    d.feed(body);
    d.finish();
    EXPECT_EQ(rows, 2000u);
    EXPECT_LE(d.plain_tries(), 4u + 1000u / 32 + 1000u + 1);
    EXPECT_GE(d.plain_rows(), 1000u - 32);
    EXPECT_LE(d.plain_rows(), 1000u);
}

TEST(JsonRowDecoder, EachRowComesWithABlockHoldingItsTerminatedValues) {
    // RowView::block's promise, which Page::append relies on to copy a row at once: every
    // non-null value lies inside the block and is followed by a NUL there. Checked for every
    // kind of value, escapes, a captured object, a duplicate key, and every chunk size.
    const std::string body =
        R"([{"ward":"42","id":"1","date":"2020-01-01T00:00:00.000","arrest":true,)"
        R"("beat":"a\"b\u00e9","location":{"type":"Point","coordinates":[1,2]}},)"
        R"({"id":"2","id":"3","beat":"","ward":null,"arrest":false,"location":[1,{"a":"x"}]},)"
        R"({"unwanted":"x"}])";
    for (std::size_t chunk = 1; chunk <= body.size(); ++chunk) {
        std::size_t rows = 0, values = 0;
        JsonRowDecoder decoder(kCrimeFields, [&](const RowView &row) {
            values += expect_values_in_block(row);
            ++rows;
        });
        for (std::size_t at = 0; at < body.size(); at += chunk)
            decoder.feed(body.data() + at, std::min(chunk, body.size() - at));
        decoder.finish();
        ASSERT_EQ(rows, 3u);
        ASSERT_EQ(values, 7u + 5u) << "chunk size " << chunk;
    }
}

TEST(JsonRowDecoder, CompactPointsAreTakenWholeAsTheSlowPathWouldCaptureThem) {
    // A point in the portal's compact form, whole in the chunk, is copied at once (begin_value);
    // split across chunks it goes byte by byte. Both give the same text and kind, and only the
    // exact form is taken whole: spaced or exponent forms are captured compactly as before.
    const std::string body =
        "[{\"a\":{\"type\":\"Point\",\"coordinates\":[-87.64792081,41.76794466]},\"b\":\"1\"}\n"
        ",{\"a\":{\"type\":\"Point\",\"coordinates\":[0,-0.5]}}\n"
        ",{\"a\":{\"type\": \"Point\", \"coordinates\": [1e2, 2]},\"b\":\"2\"}\n"
        ",{\"a\":{\"type\":\"Point\",\"coordinates\":[]},\"b\":\"3\"}]";
    const Rows expected = {
        {object(R"({"type":"Point","coordinates":[-87.64792081,41.76794466]})"), str("1")},
        {object(R"({"type":"Point","coordinates":[0,-0.5]})"), null()},
        {object(R"({"type":"Point","coordinates":[1e2,2]})"), str("2")},
        {object(R"({"type":"Point","coordinates":[]})"), str("3")}};
    EXPECT_EQ(decode(body, {"a", "b"}), expected);
    for (unsigned seed = 1; seed <= 20; ++seed)
        EXPECT_EQ(decode_random_chunks(body, {"a", "b"}, seed), expected) << seed;
    // Past the value limit, it is refused as the slow path refuses it.
    DecoderLimits small;
    small.max_value_bytes = 40;
    Error e = decode_error(R"([{"a":{"type":"Point","coordinates":[-87.64792081,41.76794466]}}])",
                           {"a"}, small);
    EXPECT_NE(std::string(e.what()).find("value larger than"), std::string::npos) << e.what();
    // The nesting limit holds on the fast path too: the point's object and array are two
    // levels below the row (review helper-84: max_depth 3 let a whole point through).
    DecoderLimits shallow;
    shallow.max_depth = 3;
    Error deep = decode_error(R"([{"a":{"type":"Point","coordinates":[1,2]}}])", {"a"}, shallow);
    EXPECT_NE(std::string(deep.what()).find("nested deeper than 3"), std::string::npos)
        << deep.what();
    // Malformed after a point-like start: the same error as ever.
    Error bad = decode_error(R"([{"a":{"type":"Point","coordinates":[1,2]}x}])", {"a"});
    EXPECT_NE(std::string(bad.what()).find("expected ',' or '}'"), std::string::npos) << bad.what();
}
