#include "error.hpp"
#include "fdw_options.hpp"

#include <gtest/gtest.h>

#include <optional>

using namespace socrata;

namespace {

std::string error_of(OptionScope scope, const OptionList &options) {
    try {
        validate_options(scope, options);
    } catch (const Error &e) {
        return std::string(e.what()) + " | " + e.hint();
    }
    return "";
}

std::optional<ErrorKind> error_kind_of(OptionScope scope, const OptionList &options) {
    try {
        validate_options(scope, options);
    } catch (const Error &e) {
        return e.kind();
    }
    return std::nullopt;
}

} // namespace

TEST(FdwOptions, AcceptsEveryOptionInItsScope) {
    EXPECT_EQ(error_of(OptionScope::Server, {{"base_url", "https://data.cityofchicago.org"},
                                             {"request_timeout", "0"},
                                             {"connect_timeout", "5"},
                                             {"stall_timeout", "10"},
                                             {"page_size", "50000"},
                                             {"max_retries", "0"},
                                             {"retry_delay", "10"},
                                             {"max_retry_delay", "100"},
                                             {"use_gzip", "off"},
                                             {"use_remote_estimate", "true"}}),
              "");
    EXPECT_EQ(error_of(OptionScope::UserMapping, {{"app_token", "abc123"}}), "");
    EXPECT_EQ(error_of(OptionScope::Table, {{"dataset", "ijzp-q8t2"}, {"page_size", "10"}}), "");
    EXPECT_EQ(error_of(OptionScope::Column, {{"column_name", ":@computed_region_awaf_s7ux"}}), "");
}

TEST(FdwOptions, RejectsOptionsOutOfPlaceWithAHint) {
    EXPECT_NE(error_of(OptionScope::Server, {{"dataset", "ijzp-q8t2"}}).find("Valid options"),
              std::string::npos);
    std::string token_on_server = error_of(OptionScope::Server, {{"app_token", "s3cret"}});
    EXPECT_NE(token_on_server.find("user mapping"), std::string::npos);
    EXPECT_EQ(token_on_server.find("s3cret"), std::string::npos) << "token echoed back";
    EXPECT_NE(error_of(OptionScope::Wrapper, {{"base_url", "http://x.org"}}), "");
}

// Each mistake has its own kind, so the Postgres layer can give each its own SQLSTATE: a name
// the wrapper does not take, a value it cannot use, an option it needs and did not get.
TEST(FdwOptions, EachKindOfMistakeHasItsOwnKind) {
    EXPECT_EQ(error_kind_of(OptionScope::Server, {{"base_uri", "https://x.org"}}),
              ErrorKind::UnknownOption);
    EXPECT_EQ(error_kind_of(OptionScope::Server, {{"dataset", "ijzp-q8t2"}}),
              ErrorKind::UnknownOption);
    EXPECT_EQ(error_kind_of(OptionScope::Server, {{"page_size", "many"}}),
              ErrorKind::InvalidOption);
    EXPECT_EQ(error_kind_of(OptionScope::UserMapping, {{"app_token", "a b"}}),
              ErrorKind::InvalidOption);
    EXPECT_EQ(error_kind_of(OptionScope::Column, {{"column_name", "a b"}}),
              ErrorKind::InvalidOption);
    EXPECT_EQ(error_kind_of(OptionScope::Table, {{"dataset", "IJZP-Q8T2"}}),
              ErrorKind::InvalidOption);
    EXPECT_EQ(error_kind_of(OptionScope::Table, {{"page_size", "10"}}), ErrorKind::MissingOption);
}

TEST(FdwOptions, TokenValueIsNeverEchoed) {
    std::string message = error_of(OptionScope::UserMapping, {{"app_token", "has space"}});
    EXPECT_NE(message, "");
    EXPECT_EQ(message.find("has space"), std::string::npos);
}

// A column_name SoQL cannot write is refused where it is set, not by the first query that reads
// the column; the value is quoted printably.
TEST(FdwOptions, ColumnNameMustBeWritableInSoql) {
    for (const char *bad : {"a b", "a`b", "1abc", "a,b", ":id) OR (1=1", "x\x01y", ":"})
        EXPECT_NE(error_of(OptionScope::Column, {{"column_name", bad}}), "") << bad;
    for (const char *good :
         {"primary_type", "Type", ":id", ":@computed_region_a_b", "select", "X-Ray"})
        EXPECT_EQ(error_of(OptionScope::Column, {{"column_name", good}}), "") << good;
    const std::string message = error_of(OptionScope::Column, {{"column_name", "a\nb"}});
    EXPECT_NE(message.find("\"a\\x0Ab\""), std::string::npos) << message;
}

// The token goes into an HTTP header: visible ASCII only, and never quoted back.
TEST(FdwOptions, TokenIsVisibleAscii) {
    for (const char *bad : {"abc\x01"
                            "def",
                            "abc\x0b"
                            "def",
                            "abc\x7f", "t\xc3\xa9t", "a b", ""}) {
        const std::string message = error_of(OptionScope::UserMapping, {{"app_token", bad}});
        EXPECT_NE(message, "") << bad;
        if (*bad) {
            EXPECT_EQ(message.find(bad), std::string::npos) << message;
        }
    }
}

TEST(FdwOptions, TableNeedsADatasetAndNoRepeats) {
    EXPECT_NE(error_of(OptionScope::Table, {}).find("dataset"), std::string::npos);
    EXPECT_NE(error_of(OptionScope::Table, {{"dataset", "ijzp-q8t2"}, {"dataset", "z8bn-74gv"}}),
              "");
    EXPECT_NE(error_of(OptionScope::Table, {{"dataset", "ijzp-q8t"}}), "");
    // A bad id is quoted printably, and cut.
    const std::string message =
        error_of(OptionScope::Table, {{"dataset", "ab\ncd" + std::string(5000, 'x')}});
    EXPECT_NE(message.find("\"ab\\x0Acd"), std::string::npos) << message;
    EXPECT_LT(message.size(), 600u);
}

TEST(FdwOptions, SettingsApplyServerThenMappingThenTable) {
    ScanSettings s = make_scan_settings(
        {{"base_url", "http://127.0.0.1:25480/"}, {"page_size", "500"}, {"request_timeout", "7"}},
        {{"app_token", "tok"}}, {{"dataset", "ijzp-q8t2"}, {"page_size", "20"}});
    EXPECT_EQ(s.base_url, "http://127.0.0.1:25480");
    EXPECT_EQ(s.page_size, 20);
    EXPECT_EQ(s.request_timeout_ms, 7000);
    EXPECT_EQ(s.app_token, "tok");
    EXPECT_EQ(s.dataset, "ijzp-q8t2");
    ScanSettings defaults = make_scan_settings({}, {}, {{"dataset", "ijzp-q8t2"}});
    EXPECT_EQ(defaults.base_url, "https://data.cityofchicago.org");
    EXPECT_EQ(defaults.page_size, 10000);
    EXPECT_TRUE(defaults.use_gzip);
}

// Each option lands in its own setting, in the setting's unit: seconds become milliseconds,
// the retry delays are given in milliseconds already.
TEST(FdwOptions, EveryOptionReachesItsSetting) {
    const ScanSettings s = make_scan_settings({{"request_timeout", "11"},
                                               {"connect_timeout", "12"},
                                               {"stall_timeout", "13"},
                                               {"page_size", "14"},
                                               {"analyze_sample_runs", "18"},
                                               {"max_retries", "15"},
                                               {"retry_delay", "16"},
                                               {"max_retry_delay", "17"},
                                               {"use_gzip", "off"},
                                               {"use_remote_estimate", "on"}},
                                              {}, {{"dataset", "ijzp-q8t2"}});
    EXPECT_EQ(s.request_timeout_ms, 11000);
    EXPECT_EQ(s.connect_timeout_ms, 12000);
    EXPECT_EQ(s.stall_timeout_ms, 13000);
    EXPECT_EQ(s.page_size, 14);
    EXPECT_EQ(s.analyze_sample_runs, 18);
    EXPECT_EQ(make_scan_settings({}, {}, {{"dataset", "ijzp-q8t2"}}).analyze_sample_runs, 30);
    EXPECT_NE(error_of(OptionScope::Server, {{"analyze_sample_runs", "0"}}), "");
    EXPECT_NE(error_of(OptionScope::Server, {{"analyze_sample_runs", "1001"}}), "");
    EXPECT_EQ(s.max_retries, 15);
    EXPECT_EQ(s.retry_delay_ms, 16);
    EXPECT_EQ(s.max_retry_delay_ms, 17);
    EXPECT_FALSE(s.use_gzip);
    EXPECT_TRUE(s.use_remote_estimate);
    // The table's use_remote_estimate overrides the server's.
    EXPECT_FALSE(make_scan_settings({{"use_remote_estimate", "on"}}, {},
                                    {{"dataset", "ijzp-q8t2"}, {"use_remote_estimate", "off"}})
                     .use_remote_estimate);
    // Text order is the portal's own unless a server or table says it is by code point.
    EXPECT_FALSE(make_scan_settings({}, {}, {{"dataset", "ijzp-q8t2"}}).text_code_point_order);
    EXPECT_TRUE(
        make_scan_settings({{"text_code_point_order", "true"}}, {}, {{"dataset", "ijzp-q8t2"}})
            .text_code_point_order);
    EXPECT_FALSE(make_scan_settings({{"text_code_point_order", "true"}}, {},
                                    {{"dataset", "ijzp-q8t2"}, {"text_code_point_order", "false"}})
                     .text_code_point_order);
}

// An option out of place names the kind of object it was set on.
TEST(FdwOptions, ErrorsNameTheObjectKind) {
    EXPECT_NE(error_of(OptionScope::Table, {{"dataset", "ijzp-q8t2"}, {"max_retries", "1"}})
                  .find("foreign table"),
              std::string::npos);
    EXPECT_NE(error_of(OptionScope::Column, {{"page_size", "1"}}).find("column"),
              std::string::npos);
}

TEST(FdwOptions, FieldNameDefaultsToTheColumnName) {
    EXPECT_EQ(field_name_for_column("ward", {}), "ward");
    EXPECT_EQ(field_name_for_column("occurred_at", {{"column_name", "date"}}), "date");
}

TEST(FdwOptions, ResponseFormatIsAutoJsonOrCsvOnServerOrTable) {
    EXPECT_EQ(make_scan_settings({}, {}, {{"dataset", "ijzp-q8t2"}}).response_format,
              ResponseFormat::Auto);
    EXPECT_EQ(make_scan_settings({{"response_format", "csv"}}, {},
                                 {{"dataset", "ijzp-q8t2"}, {"response_format", "json"}})
                  .response_format,
              ResponseFormat::Json);
    EXPECT_EQ(error_of(OptionScope::Server, {{"response_format", "auto"}}), "");
    EXPECT_EQ(error_of(OptionScope::Table, {{"dataset", "ijzp-q8t2"}, {"response_format", "csv"}}),
              "");
    EXPECT_NE(error_of(OptionScope::Server, {{"response_format", "xml"}}).find("xml"),
              std::string::npos);
    EXPECT_NE(error_of(OptionScope::Server, {{"response_format", "CSV"}}), "");
    EXPECT_NE(error_of(OptionScope::UserMapping, {{"response_format", "csv"}}), "");
}

// Cached answers are per portal, dataset and app token.
TEST(FdwOptions, PortalCacheKeysTellPortalsDatasetsAndTokensApart) {
    ScanSettings a;
    a.dataset = "ijzp-q8t2";
    ScanSettings token = a;
    token.app_token = "other-token";
    ScanSettings dataset = a;
    dataset.dataset = "z8bn-74gv";
    ScanSettings portal = a;
    portal.base_url = "https://data.cityofnewyork.us";
    EXPECT_NE(portal_cache_key(a), portal_cache_key(token));
    EXPECT_NE(portal_cache_key(a), portal_cache_key(dataset));
    EXPECT_NE(portal_cache_key(a), portal_cache_key(portal));
    // What does not change the portal's answers shares one entry.
    ScanSettings paging = a;
    paging.page_size = 500;
    paging.max_retries = 0;
    paging.response_format = ResponseFormat::Json;
    EXPECT_EQ(portal_cache_key(a), portal_cache_key(paging));
}
