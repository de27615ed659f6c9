#include "error.hpp"
#include "option_values.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <utility>

using namespace socrata;

namespace {

// The InvalidOption error `f` throws; fails the test if it throws nothing.
template <typename F> Error option_error(F f) {
    try {
        f();
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::InvalidOption);
        return e;
    }
    ADD_FAILURE() << "no error thrown";
    return Error(ErrorKind::Protocol, "none");
}

} // namespace

TEST(ParseIntOption, AcceptsPlainIntegersInRange) {
    EXPECT_EQ(parse_int_option("page_size", "1", 1, 50000), 1);
    EXPECT_EQ(parse_int_option("page_size", "50000", 1, 50000), 50000);
    EXPECT_EQ(parse_int_option("page_size", "+42", 1, 50000), 42);
    EXPECT_EQ(parse_int_option("x", "-7", -10, 10), -7);
    EXPECT_EQ(parse_int_option("x", "007", 0, 10), 7);
    const auto lo = std::numeric_limits<std::int64_t>::min();
    const auto hi = std::numeric_limits<std::int64_t>::max();
    EXPECT_EQ(parse_int_option("x", "9223372036854775807", lo, hi), hi);
    EXPECT_EQ(parse_int_option("x", "-9223372036854775808", lo, hi), lo);
}

TEST(ParseIntOption, RejectsAnythingElseNamingOptionAndValue) {
    const auto lo = std::numeric_limits<std::int64_t>::min();
    const auto hi = std::numeric_limits<std::int64_t>::max();
    for (const char *bad : {"", "+", "-", " 1", "1 ", "1e3", "0x10", "1.0", "10k", "١"}) {
        Error e = option_error([&] { parse_int_option("page_size", bad, lo, hi); });
        EXPECT_NE(std::string(e.what()).find("\"page_size\""), std::string::npos) << e.what();
    }
    Error overflow = option_error([&] { parse_int_option("x", "9223372036854775808", lo, hi); });
    EXPECT_NE(overflow.detail().find("too large"), std::string::npos);
    option_error([&] { parse_int_option("x", "-9223372036854775809", lo, hi); });
    option_error([&] { parse_int_option("x", "99999999999999999999999", lo, hi); });
    Error range = option_error([&] { parse_int_option("page_size", "0", 1, 50000); });
    EXPECT_STREQ(range.what(), "invalid value for option \"page_size\": \"0\"");
    EXPECT_EQ(range.hint(), "Expected a whole number from 1 to 50000.");
    option_error([&] { parse_int_option("page_size", "50001", 1, 50000); });
}

TEST(ParseBoolOption, AcceptsPostgresSpellings) {
    for (const char *t : {"true", "TRUE", "On", "yes", "1"})
        EXPECT_TRUE(parse_bool_option("use_gzip", t)) << t;
    for (const char *f : {"false", "False", "OFF", "no", "0"})
        EXPECT_FALSE(parse_bool_option("use_gzip", f)) << f;
    for (const char *bad : {"", "t", "y", "2", "true ", "enabled"}) {
        Error e = option_error([&] { parse_bool_option("use_gzip", bad); });
        EXPECT_NE(std::string(e.what()).find("use_gzip"), std::string::npos);
    }
}

TEST(DatasetId, FourByFourOnly) {
    EXPECT_TRUE(is_valid_dataset_id("ijzp-q8t2"));
    EXPECT_TRUE(is_valid_dataset_id("6zsd-86xi"));
    for (const char *bad : {"", "ijzp-q8t", "ijzp-q8t22", "IJZP-Q8T2", "ijzpq8t2x", "ijzp_q8t2",
                            "ijz/-q8t2", "ijzp-q8t2\n", "../../etc"})
        EXPECT_FALSE(is_valid_dataset_id(bad)) << bad;
    Error e = option_error([] { validate_dataset_id("dataset", "ijzp q8t2"); });
    EXPECT_NE(std::string(e.what()).find("\"ijzp q8t2\""), std::string::npos);
    EXPECT_NE(e.hint().find("ijzp-q8t2"), std::string::npos);
}

TEST(BaseUrl, NormalisesValidUrls) {
    EXPECT_EQ(validate_base_url("https://data.cityofchicago.org"),
              "https://data.cityofchicago.org");
    EXPECT_EQ(validate_base_url("https://data.cityofchicago.org///"),
              "https://data.cityofchicago.org");
    EXPECT_EQ(validate_base_url("HTTP://Data.CityOfChicago.org/"), "http://data.cityofchicago.org");
    EXPECT_EQ(validate_base_url("http://127.0.0.1:8089/"), "http://127.0.0.1:8089");
    EXPECT_EQ(validate_base_url("http://[::1]:8089"), "http://[::1]:8089");
    EXPECT_EQ(validate_base_url("https://example.org/portal/Sub%20Dir/"),
              "https://example.org/portal/Sub%20Dir");
}

TEST(BaseUrl, RejectsDangerousOrWrongUrls) {
    const char *bad[] = {
        "",
        "data.cityofchicago.org",
        "ftp://data.cityofchicago.org",
        "file:///etc/passwd",
        "https://",
        "https:///path",
        "https://user:pw@data.cityofchicago.org",
        "https://data.cityofchicago.org?x=1",
        "https://data.cityofchicago.org/#frag",
        "https://data.city ofchicago.org",
        "https://data.cityofchicago.org/\n",
        "https://data.cityofchicago.org\t",
        "https://dätä.org",
        "https://host:0",
        "https://host:65536",
        "https://host:",
        "https://host:80x",
        "https://[::1",
        "https://host/a%2",
        "https://host/a\\b",
        "https://data.cityofchicago.org/resource/ijzp-q8t2.json",
        "https://data.cityofchicago.org/api/views/ijzp-q8t2.json",
    };
    for (const char *url : bad) {
        Error e = option_error([&] { validate_base_url(url); });
        EXPECT_NE(std::string(e.what()).find("\"base_url\""), std::string::npos) << url;
        EXPECT_FALSE(e.hint().empty()) << url;
    }
    Error api = option_error(
        [] { validate_base_url("https://data.cityofchicago.org/resource/ijzp-q8t2.json"); });
    EXPECT_NE(api.hint().find("dataset option"), std::string::npos) << api.hint();
    // The detail says what is wrong.
    const std::pair<const char *, const char *> details[] = {
        {"http://[]", "The IPv6 address between '[' and ']' is empty."},
        {"http://host:025484", "The port must be a number from 1 to 65535, without leading zeros."},
        {"http://[::g1]", "The IPv6 address is malformed."},
        {"http://[::1]x", "Unexpected text after the IPv6 address."},
        {"http://[::1]:", "The port after ':' is missing."},
        {"http://ho$t.org", "The host name contains an invalid character."},
    };
    for (const auto &[url, detail] : details)
        EXPECT_EQ(option_error([url = url] { validate_base_url(url); }).detail(), detail) << url;
    // Control characters in the echoed value are escaped, not printed raw.
    Error ctl = option_error([] { validate_base_url("https://a\x1b[31m"); });
    EXPECT_EQ(std::string(ctl.what()).find('\x1b'), std::string::npos);
}

// A base_url is refused for a user name and password or a query string, and the refusal, which
// reaches the client and the server log, masks them.
TEST(BaseUrl, ARefusalNeverQuotesCredentialsOrAQueryString) {
    const char *urls[] = {
        "https://user:hunter2@example.org", "https://user:hunter2@example.org/x?y",
        "https://example.org/?$$app_token=SECRET123", "https://example.org/#SECRET123",
        "https://user:hunter2@ex ample.org", "ftp://user:hunter2@example.org",
        // A password holding '/', '?' or '#', or after a malformed scheme (helper-79).
        "https://user:hun/ter2@example.org", "https://user:hun?ter2@example.org",
        "https://user:hun#ter2@example.org", "https:/user:hunter2@example.org",
        "https//user:hunter2@example.org",
        // A '@' in the query: the query is not shown either (helper-83).
        "https://example.org/x?q=a@b&$$app_token=SECRET123"};
    for (const char *url : urls) {
        Error e = option_error([&] { validate_base_url(url); });
        const std::string text = std::string(e.what()) + "|" + e.detail() + "|" + e.hint();
        EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
        EXPECT_EQ(text.find("SECRET123"), std::string::npos) << text;
    }
    EXPECT_STREQ(option_error([] { validate_base_url("https://u:p@example.org/x"); }).what(),
                 "invalid value for option \"base_url\": \"https://***@example.org/***\"");
    EXPECT_STREQ(option_error([] { validate_base_url("https://example.org/x?t=1"); }).what(),
                 "invalid value for option \"base_url\": \"https://example.org/x?***\"");
}
