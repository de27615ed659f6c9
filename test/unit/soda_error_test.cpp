#include "error.hpp"
#include "soda_error.hpp"
#include "test_support.hpp"
#include "text_snippet.hpp"

#include <gtest/gtest.h>

using namespace socrata;
using namespace socrata::test;

TEST(SodaError, QueryCompilerError) {
    SodaError e = parse_soda_error(
        read_fixture("socrata_error_400_query.compiler.malformed__sfgov_example.json"));
    EXPECT_EQ(e.code, "query.compiler.malformed");
    EXPECT_EQ(e.message.rfind("Error, could not parse SoQL query \"select locations", 0), 0u)
        << e.message;
}

TEST(SodaError, MessageOnlyError) {
    SodaError e = parse_soda_error(read_fixture("socrata_error_403_body__sodapy_test_data.json"));
    EXPECT_EQ(e.code, "");
    EXPECT_EQ(e.message, "You must be logged in to access this resource");
}

TEST(SodaError, OtherJsonShapes) {
    EXPECT_EQ(parse_soda_error(R"({"errorCode":"x.y","message":"m"})").code, "x.y");
    EXPECT_EQ(parse_soda_error(R"({"error":"Not found"})").message, "Not found");
    SodaError only_code = parse_soda_error(R"({"code":"not_found","error":true})");
    EXPECT_EQ(only_code.message, "not_found");
    // An object with neither a code nor a message is quoted as it is; a long message is cut.
    EXPECT_EQ(parse_soda_error(R"({"status":503})").message, R"({"status":503})");
    const SodaError long_message =
        parse_soda_error(R"({"message":")" + std::string(5000, 'm') + R"("})");
    EXPECT_EQ(long_message.message, std::string(800, 'm') + "...");
}

// The server's words cannot forge a line of the message or the log, nor carry a terminal's
// escape sequences (helper-79): white space and control bytes become single spaces.
// Socrata's query coordinator can cap the rows of a request (max-rows): the hint names the
// option that asks for fewer, not column_name (review helper-80).
TEST(SodaError, ARowLimitNamesPageSize) {
    const Error e = error_for_http_status(
        400, R"({"errorCode":"req.row-limit-exceeded","message":"Row limit of 10000 exceeded"})",
        "http://x/resource/abcd-1234.json", "");
    EXPECT_NE(std::string(e.what()).find("Row limit of 10000 exceeded"), std::string::npos);
    EXPECT_NE(e.hint().find("page_size"), std::string::npos) << e.hint();
    EXPECT_EQ(e.hint().find("column_name"), std::string::npos) << e.hint();
}

TEST(SodaError, AJsonErrorsWordsStayOnOneLine) {
    const SodaError e = parse_soda_error(
        R"({"code":"a\nb","message":"bad\nLOG:  forged\r\n\u001b[31mred\t end  "})");
    EXPECT_EQ(e.code, "a b");
    EXPECT_EQ(e.message, "bad LOG: forged [31mred end");
    EXPECT_EQ(parse_soda_error(R"({"error":"x\u0007y"})").message, "x y");
    // C1 controls (the 8-bit CSI) and the line and paragraph separators too; other text kept.
    EXPECT_EQ(parse_soda_error(R"({"message":"a\u009b31mb\u2028c\u2029d \u00e9\u2026"})").message,
              "a 31mb c d \xC3\xA9\xE2\x80\xA6");
}

TEST(SodaError, PlainTextAndHtmlFallback) {
    EXPECT_EQ(parse_soda_error("Service Unavailable\r\n").message, "Service Unavailable");
    // The same controls as a JSON error's words are folded (C1, U+2028).
    EXPECT_EQ(parse_soda_error("Bad\xC2\x9B"
                               "31mGateway\xE2\x80\xA8now")
                  .message,
              "Bad 31mGateway now");
    EXPECT_EQ(parse_soda_error("<html><head><title>502 Bad Gateway</title></head><body>"
                               "<center><h1>502 Bad Gateway</h1></center></body></html>")
                  .message,
              "502 Bad Gateway");
    // The title once, in any letter case; a page without one (or an empty one) in full.
    EXPECT_EQ(
        parse_soda_error("<HTML><TITLE>\n  503 Service\n Unavailable </TITLE><BODY>x").message,
        "503 Service Unavailable");
    EXPECT_EQ(parse_soda_error("<html><title></title><h1>Gone</h1></html>").message, "Gone");
    EXPECT_EQ(parse_soda_error("<html><title>unclosed <h1>Gone</h1>").message, "unclosed Gone");
    EXPECT_EQ(parse_soda_error("").message, "(empty body)");
    EXPECT_EQ(parse_soda_error("a < b").message, "a < b"); // not a tag
    const std::string long_text(5000, 'x');
    SodaError e = parse_soda_error(long_text);
    EXPECT_EQ(e.message, std::string(200, 'x') + "...");
    // Control characters cannot reach a log line.
    EXPECT_EQ(parse_soda_error("bad\x1b[31m red\x07").message.find('\x1b'), std::string::npos);
}

TEST(SodaError, ErrorForHttpStatusCarriesStatusMessageUrlAndHint) {
    Error e = error_for_http_status(
        400, read_fixture("socrata_error_400_query.compiler.malformed__sfgov_example.json"),
        "https://data.cityofchicago.org/resource/ijzp-q8t2.json?$where=...");
    EXPECT_EQ(e.kind(), ErrorKind::Http);
    EXPECT_EQ(e.http_status(), 400);
    EXPECT_EQ(std::string(e.what()).rfind("Socrata request failed with HTTP 400: "
                                          "query.compiler.malformed: Error, could not parse",
                                          0),
              0u)
        << e.what();
    EXPECT_NE(e.detail().find("ijzp-q8t2.json"), std::string::npos);
    EXPECT_NE(e.hint().find("column_name"), std::string::npos) << e.hint();
    for (int status : {202, 401, 403, 404, 429, 302, 500, 503}) {
        Error s = error_for_http_status(status, "", "u");
        EXPECT_EQ(s.http_status(), status);
        EXPECT_FALSE(s.hint().empty()) << status;
    }
    EXPECT_NE(error_for_http_status(429, "", "u").hint().find("app_token"), std::string::npos);
    // Throttled with a token too: the hint does not only say to set one.
    EXPECT_NE(error_for_http_status(429, "", "u").hint().find("With one"), std::string::npos);
    EXPECT_NE(error_for_http_status(202, "", "u").hint().find("still preparing"),
              std::string::npos);
    // The portal's query timeout (soda-fountain answers 408 with errorCode request-timeout):
    // not retried (RetryPolicy), and the hint says to ask for less.
    const Error timed_out = error_for_http_status(
        408, R"({"message":"Request timed out","errorCode":"request-timeout","data":{}})", "u");
    EXPECT_STREQ(timed_out.what(),
                 "Socrata request failed with HTTP 408: request-timeout: Request timed out");
    EXPECT_NE(timed_out.hint().find("page_size"), std::string::npos) << timed_out.hint();
}

TEST(SodaError, AnUrlTooLongIsShortenedAndExplained) {
    const std::string url =
        "http://127.0.0.1:25480/resource/ijzp-q8t2.json?$where=" + std::string(20000, 'x');
    Error e =
        error_for_http_status(414, "<html><head><title>414 Request-URI Too Large</title>", url);
    EXPECT_STREQ(e.what(), "Socrata request failed with HTTP 414: 414 Request-URI Too Large");
    // (nginx's page: the title once, not the title and the heading.)
    // The detail quotes the start of the URL and its length, not 20 kB.
    EXPECT_LT(e.detail().size(), 1100u) << e.detail();
    EXPECT_EQ(e.detail().rfind("URL: http://127.0.0.1:25480/resource/ijzp-q8t2.json?$where=xx", 0),
              0u);
    EXPECT_NE(e.detail().find("... (" + std::to_string(url.size()) + " bytes)."), std::string::npos)
        << e.detail();
    EXPECT_NE(e.hint().find("is " + std::to_string(url.size()) + " bytes"), std::string::npos)
        << e.hint();
    // A URL of ordinary length is quoted whole.
    EXPECT_EQ(error_for_http_status(414, "", "http://h/r.json?a=b").detail(),
              "URL: http://h/r.json?a=b.");
}

TEST(SodaError, ARedirectNamesWhereItPoints) {
    Error e = error_for_http_status(301, "", "http://data.cityofchicago.org/api/views/x.json",
                                    "https://data.cityofchicago.org/api/views/x.json");
    EXPECT_STREQ(e.what(), "Socrata request failed with HTTP 301: redirected to "
                           "\"https://data.cityofchicago.org/api/views/x.json\"");
    EXPECT_NE(e.hint().find("base_url"), std::string::npos);
    // Without a Location header, the body's message as for any status.
    EXPECT_STREQ(error_for_http_status(302, "", "u").what(),
                 "Socrata request failed with HTTP 302: (empty body)");
}

TEST(TextSnippet, QuotesEscapesAndCutsOnCharacterBoundaries) {
    EXPECT_EQ(printable_snippet("abc"), "\"abc\"");
    EXPECT_EQ(printable_snippet("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\x0A\\x01\"");
    EXPECT_EQ(printable_snippet("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
    EXPECT_EQ(printable_snippet("\xFF"), "\"\\xFF\"");
    // A cut never splits the 2-byte 'é'.
    EXPECT_EQ(printable_snippet("abc\xC3\xA9xyz", 4), "\"abc...\"");
    EXPECT_EQ(utf8_prefix_length("abc\xC3\xA9xyz", 4), 3u);
    EXPECT_EQ(utf8_prefix_length("abc", 10), 3u);
}

// Untrusted text in a message: cut on a character boundary, control bytes escaped.
TEST(PrintableSnippet, CutsOnACharacterAndEscapesWhatCouldHarm) {
    const std::string value = std::string(199, 'x') + "\xC3\xA9" + "y";
    const std::string cut = printable_snippet(value, 200);
    EXPECT_EQ(cut, "\"" + std::string(199, 'x') + "...\"");
    EXPECT_EQ(printable_snippet("a\nb\x07\"c\\"), "\"a\\x0Ab\\x07\\\"c\\\\\"");
    EXPECT_EQ(printable_snippet("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
    EXPECT_EQ(printable_snippet("bad \xFF", 200), "\"bad \\xFF\"");
}

TEST(PrintableText, EscapesControlsButNotQuotesAndCuts) {
    EXPECT_EQ(printable_text("syntax: \"6060\x07\n\""), "syntax: \"6060\\x07\\x0A\"");
    EXPECT_EQ(printable_text(std::string(500, 'a')), std::string(400, 'a') + "...");
}
