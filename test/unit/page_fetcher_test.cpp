// PageFetcher + SodaClient against a scripted loopback server: keyset paging, retries, errors.
#include "error.hpp"
#include "keyset_pages.hpp"
#include "loopback_server.hpp"
#include "page_fetcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <optional>
#include <cstdio>

using namespace socrata;
using socrata::test::http;
using socrata::test::LoopbackServer;
using socrata::test::response_up_to;
using socrata::test::rows_body;
using socrata::test::rows_csv;

namespace {

// Three rows served two per page, keyed by :id; the request line decides which page.
bool serve_pages(int fd, const std::string &request) {
    std::string body;
    if (request.find("%3Aid%20%3E%20%27row-b%27") != std::string::npos)
        body = R"([{"n":"3",":id":"row-c"}])";
    else
        body = R"([{"n":"1",":id":"row-a"},{"n":"2",":id":"row-b"}])";
    LoopbackServer::send_all(fd, http(200, body));
    return true;
}

ScanSettings settings_for(const LoopbackServer &server) {
    ScanSettings s;
    s.base_url = server.url("");
    s.dataset = "abcd-1234";
    s.retry_delay_ms = 1;
    s.max_retry_delay_ms = 5;
    s.max_retries = 2;
    s.app_token = "sekrit-token";
    return s;
}

std::vector<std::string> fetch_all(PageFetcher &fetcher) {
    std::vector<std::string> values;
    Page page;
    while (fetcher.next(page))
        for (std::size_t r = 0; r < page.rows(); ++r)
            values.emplace_back(page.text(r, 0));
    return values;
}

// The error the fetcher's first page ends in; a test failure (and a Protocol error) if none.
Error first_page_error_of(PageFetcher &fetcher) {
    Page page;
    try {
        fetcher.next(page);
    } catch (const Error &e) {
        return e;
    }
    ADD_FAILURE() << "expected an error";
    return Error(ErrorKind::Protocol, "no error");
}

// The error of a first page whose every request gets `response`; `requests` counts them.
Error first_page_error(const std::string &response, std::size_t *requests = nullptr) {
    LoopbackServer server([&](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, response);
        return true;
    });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    PageFetcher fetcher(client, request, 2);
    Error e = first_page_error_of(fetcher);
    if (requests)
        *requests = server.requests().size();
    return e;
}

} // namespace

TEST(PageFetcher, PagesByRowIdentifierUntilAShortPage) {
    LoopbackServer server(
        [](int fd, const std::string &req, LoopbackServer &) { return serve_pages(fd, req); });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    PageFetcher fetcher(client, request, 2);
    EXPECT_EQ(fetch_all(fetcher), (std::vector<std::string>{"1", "2", "3"}));
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_NE(requests[0].find("$select=n%2C%3Aid&$order=%3Aid&$limit=2"), std::string::npos)
        << requests[0];
    EXPECT_NE(requests[1].find("$where=%3Aid%20%3E%20%27row-b%27"), std::string::npos);
    // The token travels as a header only.
    EXPECT_NE(requests[0].find("X-App-Token: sekrit-token"), std::string::npos);
    EXPECT_NE(requests[0].find("\r\nAccept: application/json\r\n"), std::string::npos)
        << requests[0];
    EXPECT_EQ(requests[0].find("sekrit-token&"), std::string::npos);
    EXPECT_EQ(client.stats().pages, 2u);
    EXPECT_EQ(client.stats().rows, 3u);
}

// The same three rows as CSV: a header naming the fields, then one record per row.
bool serve_csv_pages(int fd, const std::string &request) {
    std::string body = request.find("%3Aid%20%3E%20%27row-b%27") != std::string::npos
                           ? "n,:id\n3,row-c\n"
                           : "n,:id\n1,row-a\n\"2\",row-b\n";
    LoopbackServer::send_all(fd, http(200, body));
    return true;
}

TEST(PageFetcher, CsvRequestsPageTheSameWay) {
    LoopbackServer server(
        [](int fd, const std::string &req, LoopbackServer &) { return serve_csv_pages(fd, req); });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    request.csv = true;
    PageFetcher fetcher(client, request, 2);
    EXPECT_EQ(fetcher.first_request_path(),
              "/resource/abcd-1234.csv?$select=n%2C%3Aid&$order=%3Aid&$limit=2");
    EXPECT_EQ(fetch_all(fetcher), (std::vector<std::string>{"1", "2", "3"}));
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_NE(requests[0].find("GET /resource/abcd-1234.csv?"), std::string::npos) << requests[0];
    EXPECT_NE(requests[1].find("$where=%3Aid%20%3E%20%27row-b%27"), std::string::npos);
    // Socrata lets Accept override the extension: every page must accept CSV.
    for (const auto &r : requests)
        EXPECT_NE(r.find("\r\nAccept: text/csv, application/json;q=0.5\r\n"), std::string::npos)
            << r;
}

// A CSV response ended only by the server closing the connection (no Content-Length, no
// chunked encoding), as an HTTP/1.0 proxy sends it.
std::string closed_csv(const std::string &body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nConnection: close\r\n\r\n" + body;
}

// Rows 1 to 3 two per page, but the first page cut after its first row, at a line end, and
// every CSV response ended by closing the connection. JSON requests (which show their own
// end) are answered whole.
bool serve_cut_csv_pages(int fd, const std::string &request) {
    const std::string line = request.substr(0, request.find('\r'));
    const bool json = line.find(".json?") != std::string::npos;
    std::string rows; // "n,:id" records after the position the request asks for
    if (line.find("%3Aid%20%3E%20%27row-c%27") != std::string::npos)
        rows = "";
    else if (line.find("%3Aid%20%3E%20%27row-a%27") != std::string::npos)
        rows = "2,row-b\n3,row-c\n";
    else
        rows = "1,row-a\n"; // cut: row-b is missing
    if (json) {
        const std::string body = rows.empty() ? "[]" : R"([{"n":"2",":id":"row-b"}])";
        LoopbackServer::send_all(fd, http(200, body));
        return true;
    }
    LoopbackServer::send_all(fd, closed_csv("n,:id\n" + rows));
    return false;
}

TEST(PageFetcher, AShortCsvPageEndedOnlyByAClosedConnectionIsCheckedInJson) {
    LoopbackServer server([](int fd, const std::string &req, LoopbackServer &) {
        return serve_cut_csv_pages(fd, req);
    });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    request.csv = true;
    PageFetcher fetcher(client, request, 2);
    EXPECT_EQ(fetch_all(fetcher), (std::vector<std::string>{"1", "2", "3"}));
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 5u);
    // The short first page, then one row asked for in JSON past it: there is one, so paging
    // goes on; the empty third page is checked the same way.
    EXPECT_NE(requests[1].find("GET /resource/abcd-1234.json?$select=n%2C%3Aid&$where=%3Aid%20%3E"
                               "%20%27row-a%27&$order=%3Aid&$limit=1 "),
              std::string::npos)
        << requests[1];
    EXPECT_NE(requests[2].find(".csv?"), std::string::npos) << requests[2];
    EXPECT_NE(requests[4].find(".json?"), std::string::npos) << requests[4];
    EXPECT_EQ(client.stats().requests, 5u);
}

TEST(PageFetcher, AnEmptyCsvPageCutBeforeItsRowsIsAnError) {
    LoopbackServer server([](int fd, const std::string &req, LoopbackServer &) {
        if (req.find(".json?") != std::string::npos) {
            LoopbackServer::send_all(fd, http(200, R"([{"n":"1",":id":"row-a"}])"));
            return true;
        }
        LoopbackServer::send_all(fd, closed_csv("n,:id\n"));
        return false;
    });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    request.csv = true;
    PageFetcher fetcher(client, request, 2);
    Error e = first_page_error_of(fetcher);
    EXPECT_EQ(e.kind(), ErrorKind::BadResponse);
    EXPECT_NE(std::string(e.what()).find("ended before its first row"), std::string::npos)
        << e.what();
    EXPECT_NE(e.detail().find("/resource/abcd-1234.csv?"), std::string::npos) << e.detail();
    EXPECT_EQ(server.requests().size(), 2u);
}

// JSON shows its own end (the closing bracket), so a JSON page needs no such check.
TEST(PageFetcher, AShortJsonPageEndedByAClosedConnectionIsTheLast) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" +
                                         std::string(R"([{"n":"1",":id":"row-a"}])"));
        return false;
    });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    PageFetcher fetcher(client, request, 2);
    EXPECT_EQ(fetch_all(fetcher), (std::vector<std::string>{"1"}));
    EXPECT_EQ(server.requests().size(), 1u);
}

// A column that reads :id itself: the paging key is not selected a second time (Socrata
// answers 400 "Duplicate alias"), yet fills both the column's slot and the key's.
TEST(PageFetcher, AColumnReadingTheRowIdentifierSharesItWithThePagingKey) {
    for (bool csv : {false, true}) {
        LoopbackServer server([csv](int fd, const std::string &req, LoopbackServer &) {
            return csv ? serve_csv_pages(fd, req) : serve_pages(fd, req);
        });
        SodaClient client(settings_for(server), nullptr);
        ScanRequest request;
        request.select = {"n", ":id"};
        request.csv = csv;
        PageFetcher fetcher(client, request, 2);
        EXPECT_NE(fetcher.first_request_path().find("?$select=n%2C%3Aid&$order="),
                  std::string::npos)
            << fetcher.first_request_path();
        std::vector<std::string> ids;
        Page page;
        while (fetcher.next(page))
            for (std::size_t r = 0; r < page.rows(); ++r) {
                ids.emplace_back(page.text(r, 1));
                EXPECT_EQ(page.text(r, 2), page.text(r, 1));
            }
        EXPECT_EQ(ids, (std::vector<std::string>{"row-a", "row-b", "row-c"}));
        EXPECT_EQ(server.requests().size(), 2u) << "paged by the shared key";
    }
}

TEST(PageFetcher, LimitCapsThePagesRequested) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, http(200, rows_body(1, 1)));
        return true;
    });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    request.limit = 1;
    PageFetcher fetcher(client, request, 2);
    EXPECT_EQ(fetch_all(fetcher), (std::vector<std::string>{"1"}));
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_NE(requests[0].find("$limit=1"), std::string::npos);
}

TEST(PageFetcher, RetriesThrottlingThenSucceedsAndRestartsThePage) {
    std::atomic<int> calls{0};
    LoopbackServer server([&](int fd, const std::string &req, LoopbackServer &) {
        if (calls++ < 2) {
            LoopbackServer::send_all(
                fd, http(429, R"({"message":"slow down","error":true})", "Retry-After: 0\r\n"));
            return true;
        }
        return serve_pages(fd, req);
    });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    PageFetcher fetcher(client, request, 2);
    EXPECT_EQ(fetch_all(fetcher), (std::vector<std::string>{"1", "2", "3"}));
    EXPECT_EQ(client.stats().retries, 2u);
}

TEST(PageFetcher, BadRequestFailsAtOnceWithSocratasMessageAndNoToken) {
    std::size_t requests = 0;
    Error e = first_page_error(
        http(400, R"({"code":"query.compiler.malformed","error":true,"message":"bad where"})"),
        &requests);
    EXPECT_EQ(e.kind(), ErrorKind::Http);
    EXPECT_EQ(e.http_status(), 400);
    EXPECT_NE(std::string(e.what()).find("bad where"), std::string::npos);
    EXPECT_NE(e.detail().find("/resource/abcd-1234.json?"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("sekrit"), std::string::npos);
    EXPECT_EQ(e.detail().find("sekrit"), std::string::npos);
    EXPECT_EQ(requests, 1u) << "a 400 is not retried";
}

// A proxy or server that echoes the request's token header in its error body, or in a body
// that fails to decode, must not put the token into the error.
TEST(PageFetcher, AnEchoedTokenIsMaskedInErrors) {
    const std::string bodies[] = {
        http(400, "bad: token sekrit-token is invalid"),
        http(403, "<html>Forbidden for X-App-Token sekrit-token</html>"),
        http(404, R"({"code":"not.found","error":true,"message":"no view for sekrit-token"})"),
        http(200, R"([{"n":"1" sekrit-token}])"),
    };
    for (const std::string &body : bodies) {
        Error e = first_page_error(body);
        const std::string text = std::string(e.what()) + "|" + e.detail() + "|" + e.hint();
        EXPECT_EQ(text.find("sekrit"), std::string::npos) << text;
        EXPECT_NE(text.find("***"), std::string::npos) << text;
        EXPECT_TRUE(e.kind() == ErrorKind::Http || e.kind() == ErrorKind::BadResponse) << text;
    }
}

// A message quotes only the start of a long URL (soda_error.cpp). The URL is masked before it
// is cut: cut first, a token split by the cut would no longer match, and its first bytes would
// be shown. (The token travels as a header, but a query can compare a value with it.)
TEST(PageFetcher, ALongUrlIsCutAfterTheTokenIsMasked) {
    LoopbackServer server([&](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, http(414, "<html><title>414 Request-URI Too Large</title>"));
        return true;
    });
    const ScanSettings settings = settings_for(server);
    // Where the $where value starts in the URL: the token is placed across the 1,000th byte.
    SoqlQuery probe;
    probe.select = {"n", ":id"};
    probe.where = "MARK";
    const std::string probe_url =
        build_resource_url(settings.base_url, settings.dataset, "json", probe);
    const std::size_t value_at = probe_url.find("MARK");
    ASSERT_NE(value_at, std::string::npos);
    const std::string opening = "x = '"; // "x%20%3D%20%27": 13 bytes encoded
    ASSERT_LT(value_at + 13, 995u);
    ScanRequest request;
    request.select = {"n"};
    request.where = opening + std::string(995 - value_at - 13, 'a') + "sekrit-tokensekrit-token'";
    SodaClient client(settings, nullptr);
    PageFetcher fetcher(client, request, 2);
    const Error e = first_page_error_of(fetcher);
    EXPECT_EQ(e.http_status(), 414);
    ASSERT_EQ(server.requests().size(), 1u);
    EXPECT_NE(server.requests()[0].find("aasekrit-tokensekrit-token"), std::string::npos);
    const std::string text = std::string(e.what()) + "|" + e.detail() + "|" + e.hint();
    EXPECT_NE(e.detail().find("aa***"), std::string::npos) << e.detail();
    EXPECT_EQ(text.find("sek"), std::string::npos) << text;
}

TEST(PageFetcher, ARedirectIsNotFollowedAndNamesItsTarget) {
    std::size_t requests = 0;
    Error e = first_page_error(
        http(301, "", "Location: https://elsewhere.example/r.json?x=sekrit-token\r\n"), &requests);
    EXPECT_EQ(e.http_status(), 301);
    EXPECT_STREQ(e.what(), "Socrata request failed with HTTP 301: redirected to "
                           "\"https://elsewhere.example/r.json?x=***\"");
    EXPECT_EQ(requests, 1u);
}

// The Location header is the server's bytes: quoted with control characters escaped (no forged
// log lines, no terminal escapes) and cut, like a body.
TEST(PageFetcher, ARedirectTargetIsQuotedPrintablyAndCut) {
    Error e = first_page_error(
        http(302, "", "Location: https://x.example/\x1b[2J\x07" + std::string(5000, 'a') + "\r\n"));
    const std::string what = e.what();
    EXPECT_EQ(what.find('\x1b'), std::string::npos) << what;
    EXPECT_NE(what.find("\\x1B[2J"), std::string::npos) << what;
    EXPECT_LT(what.size(), 1200u);
}

// An error body is cut to a short message (soda_error.cpp). The token is masked before the cut:
// after it, a token the cut split would no longer match and its first bytes would be shown.
TEST(PageFetcher, ATokenEchoedAcrossTheMessageCutIsMaskedWhole) {
    for (std::size_t dots : {180, 183, 186, 190}) {
        const std::string body = "Forbidden " + std::string(dots, '.') + " sekrit-token";
        Error e = first_page_error("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n"
                                   "Content-Length: " +
                                   std::to_string(body.size()) + "\r\n\r\n" + body);
        const std::string text = std::string(e.what()) + "|" + e.detail() + "|" + e.hint();
        EXPECT_EQ(text.find("sek"), std::string::npos) << text;
    }
}

TEST(PageFetcher, GivesUpAfterMaxRetries) {
    std::size_t requests = 0;
    first_page_error(http(503, R"({"message":"busy","error":true})"), &requests);
    EXPECT_EQ(requests, 3u) << "one attempt plus max_retries=2";
}

TEST(PageFetcher, CancelDuringBackoffStopsPromptly) {
    LoopbackServer server([&](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, http(429, "{}", "Retry-After: 60\r\n"));
        return true;
    });
    auto started = std::chrono::steady_clock::now();
    SodaClient client(settings_for(server), [&] {
        return std::chrono::steady_clock::now() - started > std::chrono::milliseconds(200);
    });
    ScanRequest request;
    request.select = {"n"};
    PageFetcher fetcher(client, request, 2);
    EXPECT_EQ(first_page_error_of(fetcher).kind(), ErrorKind::Cancelled);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

TEST(PageFetcher, DescribesTheFirstRequestForExplain) {
    LoopbackServer server(
        [](int fd, const std::string &req, LoopbackServer &) { return serve_pages(fd, req); });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    request.where = "n > 'a&b'";
    PageFetcher fetcher(client, request, 100);
    EXPECT_EQ(fetcher.describe(), "$select=n,:id&$where=n > 'a&b'&$order=:id&$limit=100");
    EXPECT_EQ(
        fetcher.first_request_path(),
        "/resource/"
        "abcd-1234.json?$select=n%2C%3Aid&$where=n%20%3E%20%27a%26b%27&$order=%3Aid&$limit=100");
    EXPECT_TRUE(server.requests().empty()) << "describing sends nothing";
}

// A base_url with a path of its own (a portal behind a proxy's prefix): the request's path starts
// with it, in EXPLAIN as on the wire.
TEST(PageFetcher, TheFirstRequestsPathKeepsTheBaseUrlsPath) {
    LoopbackServer server(
        [](int fd, const std::string &req, LoopbackServer &) { return serve_pages(fd, req); });
    ScanSettings settings = settings_for(server);
    settings.base_url = server.url("/portal/v2/");
    SodaClient client(settings, nullptr);
    ScanRequest request;
    request.select = {"n"};
    PageFetcher fetcher(client, request, 10);
    EXPECT_EQ(fetcher.first_request_path(),
              "/portal/v2/resource/abcd-1234.json?$select=n%2C%3Aid&$order=%3Aid&$limit=10");
    Page page;
    fetcher.next(page);
    ASSERT_FALSE(server.requests().empty());
    EXPECT_EQ(server.requests()[0].rfind("GET " + fetcher.first_request_path() + " ", 0), 0u)
        << server.requests()[0];
}

// A scan of more fields than a URL should carry asks for `*` (with its paging key) and keeps
// the fields it needs, by name, from rows that carry every field of the dataset.
TEST(PageFetcher, AWideSelectIsSentAsStarAndItsFieldsFoundByName) {
    // The CSV has every field `*` stands for, in another order; JSON leaves out the nulls.
    std::string csv_header = "other,:id", csv_row = "x,row-a";
    for (int i = 139; i >= 0; --i) {
        char name[32];
        std::snprintf(name, sizeof name, ",wide_field_%04d", i);
        csv_header += name;
        csv_row += i == 0 ? ",a" : i == 99 ? ",b" : ",";
    }
    const std::string csv_body = csv_header + ",with-dash\n" + csv_row + ",\n";
    for (bool csv : {false, true}) {
        LoopbackServer server([csv, &csv_body](int fd, const std::string &, LoopbackServer &) {
            LoopbackServer::send_all(fd,
                                     http(200, csv ? csv_body
                                                   : R"([{"other":"x","wide_field_0000":"a",)"
                                                     R"("wide_field_0099":"b",":id":"row-a"}])"));
            return true;
        });
        SodaClient client(settings_for(server), nullptr);
        ScanRequest request;
        for (int i = 0; i < 140; ++i) { // 140 x 15 bytes and commas: 2,517 encoded
            char name[32];
            std::snprintf(name, sizeof name, "wide_field_%04d", i);
            request.select.emplace_back(name);
        }
        request.select.emplace_back("`with-dash`");
        request.csv = csv;
        request.star_returns_all = true;
        PageFetcher fetcher(client, request, 10);
        EXPECT_EQ(fetcher.describe(), "$select=*,:id&$order=:id&$limit=10");
        Page page;
        ASSERT_TRUE(fetcher.next(page));
        ASSERT_EQ(page.rows(), 1u);
        EXPECT_EQ(page.text(0, 0), "a");  // wide_field_0000
        EXPECT_EQ(page.text(0, 99), "b"); // wide_field_0099
        EXPECT_EQ(page.kind(0, 140), ValueKind::Null) << "`with-dash`: not in the row";
        EXPECT_EQ(page.text(0, 141), "row-a"); // the paging key
        auto requests = server.requests();
        ASSERT_EQ(requests.size(), 1u);
        EXPECT_NE(requests[0].find("?$select=%2A%2C%3Aid&$order=%3Aid&$limit=10 "),
                  std::string::npos)
            << requests[0];
    }
}

namespace {

// Collects what next_in_chunks hands onnamespace {

// Collects what next_in_chunks hands on, chunk by chunk.
struct ChunkLog {
    std::vector<std::vector<std::string>> chunks;
    PageFetcher::ChunkSink sink() {
        return [this](Page &chunk) {
            std::vector<std::string> values;
            for (std::size_t r = 0; r < chunk.rows(); ++r)
                values.emplace_back(chunk.text(r, 0));
            chunks.push_back(values);
            Page empty;
            std::swap(chunk, empty);
        };
    }
    // Runs the scan to its end in chunks of chunk_rows rows (doubling through each page).
    void drain(PageFetcher &fetcher, std::size_t chunk_rows) {
        Page chunk;
        while (fetcher.next_in_chunks(chunk, chunk_rows, sink())) {
        }
    }
    std::vector<std::string> all() const {
        std::vector<std::string> values;
        for (const auto &c : chunks)
            values.insert(values.end(), c.begin(), c.end());
        return values;
    }
};

} // namespace

TEST(PageFetcher, NextInChunksHandsOnAPageInChunksAndPagesAfterItsLastRow) {
    LoopbackServer server([](int fd, const std::string &req, LoopbackServer &) {
        bool second = req.find("%3Aid%20%3E%20%27row-00005%27") != std::string::npos;
        LoopbackServer::send_all(fd, http(200, second ? rows_body(6, 6) : rows_body(1, 5)));
        return true;
    });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    PageFetcher fetcher(client, request, 5);
    ChunkLog log;
    log.drain(fetcher, 2);
    EXPECT_EQ(log.chunks,
              (std::vector<std::vector<std::string>>{{"1", "2"}, {"3", "4", "5"}, {"6"}}))
        << "chunks of 2, then 4 (cut short by the page's end), then 2 again on the next page";
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 2u) << "a short page ends the scan";
    EXPECT_NE(requests[1].find("$where=%3Aid%20%3E%20%27row-00005%27"), std::string::npos)
        << "the keyset continues after the last row handed on: " << requests[1];
    EXPECT_EQ(client.stats().pages, 2u);
    EXPECT_EQ(client.stats().rows, 6u);
}

// The first attempt's body breaks off after three of its five rows (the connection closes
// before Content-Length bytes came); the retry sends the page whole, or `retried_body`.
LoopbackServer::Handler truncate_first_attempt(std::atomic<int> &calls, std::string retried_body) {
    return [&calls, retried_body](int fd, const std::string &, LoopbackServer &) {
        std::string body = rows_body(1, 5);
        if (calls++ == 0) {
            LoopbackServer::send_all(fd, response_up_to(body, body.find(R"({"n":"4")")));
            return false;
        }
        LoopbackServer::send_all(fd, http(200, retried_body.empty() ? body : retried_body));
        return true;
    };
}

// What the retry tests scan: column n, at most five rows (one page of five), handed on in chunks
// of 2, from a server whose first attempt breaks off after three rows.
struct RetriedPageScan {
    explicit RetriedPageScan(std::string retried_body)
        : server(truncate_first_attempt(calls, std::move(retried_body))),
          client(settings_for(server), nullptr), fetcher(client, first_five_of_n(), 5) {}
    static ScanRequest first_five_of_n() {
        ScanRequest request;
        request.select = {"n"};
        request.limit = 5;
        return request;
    }
    void drain() { log.drain(fetcher, 2); }

    std::atomic<int> calls{0};
    LoopbackServer server;
    SodaClient client;
    PageFetcher fetcher;
    ChunkLog log;
};

TEST(PageFetcher, ARetryAfterChunksWereHandedOnSkipsTheirRows) {
    RetriedPageScan scan("");
    scan.drain();
    // Rows 1 and 2 went out before the break, row 3 was still in the chunk being filled.
    EXPECT_EQ(scan.log.all(), (std::vector<std::string>{"1", "2", "3", "4", "5"}));
    EXPECT_EQ(scan.log.chunks.front(), (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(scan.client.stats().retries, 1u);
    EXPECT_EQ(scan.client.stats().rows, 5u);
}

TEST(PageFetcher, ARetryThatSendsOtherRowsWhereChunksEndedFails) {
    // Row 2 (already handed on) is gone from the retried page: its second row is now row 3.
    RetriedPageScan scan(R"([{"n":"1",":id":"row-00001"},{"n":"3",":id":"row-00003"}])");
    try {
        scan.drain();
        FAIL() << "expected an error";
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::Protocol);
        EXPECT_NE(std::string(e.what()).find("changed while a page was being retried"),
                  std::string::npos)
            << e.what();
        EXPECT_NE(e.detail().find("row-00002"), std::string::npos) << e.detail();
        EXPECT_EQ(e.detail().find("sekrit-token"), std::string::npos) << e.detail();
    }
    EXPECT_EQ(scan.log.all(), (std::vector<std::string>{"1", "2"})) << "nothing handed on twice";
}

TEST(PageFetcher, ARetryWithFewerRowsThanHandedOnFails) {
    RetriedPageScan scan(rows_body(1, 1));
    try {
        scan.drain();
        FAIL() << "expected an error";
    } catch (const Error &e) {
        EXPECT_NE(e.detail().find("fewer rows than the 2 already read"), std::string::npos)
            << e.detail();
    }
}

namespace {

// The error a scan over `serve` ends in, after at most five requests (a server that ignores the
// paging condition would otherwise be asked forever): the sixth gets no rows. Every value read
// is appended to `values`. With an `order`, the scan pages by $offset.
Error paged_scan_error(const std::function<std::string(int request)> &serve,
                       std::vector<std::string> &values, const std::string &order = {},
                       int page_size = 2) {
    int requests = 0;
    LoopbackServer server([&](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, http(200, requests < 5 ? serve(requests) : "[]"));
        ++requests;
        return true;
    });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    request.order = order;
    request.keyset = order.empty();
    PageFetcher fetcher(client, request, page_size);
    Page page;
    try {
        while (fetcher.next(page))
            for (std::size_t r = 0; r < page.rows(); ++r)
                values.emplace_back(page.text(r, 0));
    } catch (const Error &e) {
        return e;
    }
    ADD_FAILURE() << "expected an error";
    return Error(ErrorKind::Protocol, "no error");
}

} // namespace

TEST(PageFetcher, APortalThatIgnoresThePagingConditionIsAnErrorNotALoop) {
    // A cache in front of the portal answers every page with the first one.
    std::vector<std::string> values;
    Error e = paged_scan_error([](int) { return rows_body(1, 2); }, values);
    EXPECT_EQ(e.kind(), ErrorKind::Protocol);
    EXPECT_STREQ(e.what(), "the portal sent its first page again");
    EXPECT_NE(e.detail().find("row identifier \"row-00001\". URL: "), std::string::npos)
        << e.detail();
    EXPECT_NE(e.hint().find("paging condition :id > \"row-00002\""), std::string::npos) << e.hint();
    EXPECT_EQ(values, (std::vector<std::string>{"1", "2"})) << "nothing handed on twice";
}

TEST(PageFetcher, APageThatRepeatsThePreviousPagesLastRowIsAnError) {
    // The condition applied as :id >= last: each page starts with the row that ended the last.
    std::vector<std::string> values;
    Error e = paged_scan_error([](int n) { return rows_body(n + 1, n + 2); }, values);
    EXPECT_EQ(e.kind(), ErrorKind::Protocol);
    EXPECT_NE(std::string(e.what()).find("sent a row twice"), std::string::npos) << e.what();
    EXPECT_NE(e.detail().find("\"row-00002\""), std::string::npos) << e.detail();
    EXPECT_EQ(values, (std::vector<std::string>{"1", "2"}));
}

TEST(PageFetcher, OffsetPagingOfRowsOrdersByAndCarriesTheRowIdentifier) {
    LoopbackServer server(
        [](int fd, const std::string &req, LoopbackServer &) { return serve_pages(fd, req); });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    request.order = "n DESC";
    request.keyset = false;
    EXPECT_EQ(PageFetcher(client, request, 100).describe(),
              "$select=n,:id&$order=n DESC, :id&$limit=100");
    // Grouped rows have no :id (their groups are unique), nor has an ungrouped aggregate.
    request.select = {"n", "count(*) AS c"};
    request.group = "n";
    request.order = "n";
    EXPECT_EQ(PageFetcher(client, request, 100).describe(),
              "$select=n,count(*) AS c&$group=n&$order=n&$limit=100");
    request.select = {"count(*) AS c"};
    request.group.clear();
    request.order.clear();
    EXPECT_EQ(PageFetcher(client, request, 100).describe(), "$select=count(*) AS c&$limit=100");
}

namespace {

// A number of the request line's query string, e.g. $offset (0 when it is not there).
long query_number(const std::string &request, const std::string &name) {
    auto at = request.find(name + "=");
    return at == std::string::npos ? 0 : std::stol(request.substr(at + name.size() + 1));
}

// An offset-paged scan of column n, sorted by n, in pages of `page_size`, from a server that
// applies $offset and $limit to its rows, which are n = first..last as `dataset(request)`
// returns them: a test changes them between requests. With `chunked`, the scan hands rows on
// in chunks of 2 and the first attempt at the second page breaks off before row 7.
struct OffsetScan {
    std::vector<std::string> values;
    std::vector<std::string> requests;
    std::optional<Error> error;
};

OffsetScan offset_scan(const std::function<std::pair<int, int>(int request)> &dataset,
                       int page_size, bool chunked = false, std::int64_t offset = 0,
                       std::int64_t limit = -1) {
    int served = 0;
    LoopbackServer server([&](int fd, const std::string &req, LoopbackServer &) {
        const int n = served++;
        const auto [first, last] = dataset(n);
        const long asked_offset = query_number(req, "$offset");
        const long asked_limit = query_number(req, "$limit");
        const int from = first + static_cast<int>(asked_offset);
        const std::string body =
            rows_body(from, std::min<int>(last, from + static_cast<int>(asked_limit) - 1));
        if (chunked && n == 1) {
            LoopbackServer::send_all(fd, response_up_to(body, body.find(R"({"n":"7")")));
            return false;
        }
        LoopbackServer::send_all(fd, http(200, body));
        return true;
    });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    request.order = "n";
    request.keyset = false;
    request.offset = offset;
    request.limit = limit;
    PageFetcher fetcher(client, request, page_size);
    OffsetScan scan;
    try {
        if (chunked) {
            ChunkLog log;
            log.drain(fetcher, 2);
            scan.values = log.all();
        } else {
            Page page;
            for (int pages = 0; pages < 5 && fetcher.next(page); ++pages)
                for (std::size_t r = 0; r < page.rows(); ++r)
                    scan.values.emplace_back(page.text(r, 0));
        }
    } catch (const Error &e) {
        scan.error = e;
    }
    scan.requests = server.requests();
    return scan;
}

std::vector<std::string> numbers(int first, int last) {
    std::vector<std::string> out;
    for (int n = first; n <= last; ++n)
        out.push_back(std::to_string(n));
    return out;
}

} // namespace

TEST(PageFetcher, OffsetPagesStartOnThePreviousPagesLastRow) {
    // Rows 1-5 in pages of 2: offset 0, then 1 and 3, one row more each, the first one checked.
    OffsetScan scan = offset_scan([](int) { return std::pair{1, 5}; }, 2);
    ASSERT_FALSE(scan.error) << scan.error->what() << scan.error->detail();
    EXPECT_EQ(scan.values, numbers(1, 5));
    ASSERT_EQ(scan.requests.size(), 3u);
    EXPECT_NE(scan.requests[0].find("$limit=2 "), std::string::npos) << scan.requests[0];
    EXPECT_NE(scan.requests[1].find("$limit=3&$offset=1 "), std::string::npos) << scan.requests[1];
    EXPECT_NE(scan.requests[2].find("$limit=3&$offset=3 "), std::string::npos) << scan.requests[2];
}

TEST(PageFetcher, APushedDownOffsetAndLimitCountOnlyEachPagesOwnRows) {
    // OFFSET 3 LIMIT 5 over rows 1-20 in pages of 2: rows 4-8, the last page asking for the row
    // before and one of its own.
    OffsetScan scan = offset_scan([](int) { return std::pair{1, 20}; }, 2, false, 3, 5);
    ASSERT_FALSE(scan.error) << scan.error->what() << scan.error->detail();
    EXPECT_EQ(scan.values, numbers(4, 8));
    ASSERT_EQ(scan.requests.size(), 3u) << "no request after the limit is reached";
    EXPECT_NE(scan.requests[0].find("$limit=2&$offset=3 "), std::string::npos) << scan.requests[0];
    EXPECT_NE(scan.requests[1].find("$limit=3&$offset=4 "), std::string::npos) << scan.requests[1];
    EXPECT_NE(scan.requests[2].find("$limit=2&$offset=6 "), std::string::npos) << scan.requests[2];
}

TEST(PageFetcher, ASortedScanOverRowsDeletedAheadIsAnErrorNotASkip) {
    // Row 1 deleted after the first page: every later row moves one place back, and a page at
    // $offset=2 would start with row 4, skipping row 3.
    OffsetScan scan = offset_scan([](int n) { return std::pair{n == 0 ? 1 : 2, 9}; }, 2);
    ASSERT_TRUE(scan.error);
    EXPECT_EQ(scan.error->kind(), ErrorKind::Protocol);
    EXPECT_STREQ(scan.error->what(),
                 "the portal's rows moved while the query read them by $offset");
    EXPECT_NE(scan.error->detail().find("The page at $offset=1 starts with row identifier "
                                        "\"row-00003\", not with the row that ended the page "
                                        "before (row identifier \"row-00002\"). URL: "),
              std::string::npos)
        << scan.error->detail();
    EXPECT_NE(scan.error->hint().find("deleted from the dataset ahead of that position"),
              std::string::npos)
        << scan.error->hint();
    EXPECT_EQ(scan.values, numbers(1, 2));
}

TEST(PageFetcher, ASortedScanOverRowsAddedAheadIsAnErrorNotARepeat) {
    // Two rows added ahead after the first page of 3: rows 2 and 3 would be read again.
    OffsetScan scan = offset_scan([](int n) { return std::pair{n == 0 ? 1 : -1, 9}; }, 3);
    ASSERT_TRUE(scan.error);
    EXPECT_NE(scan.error->detail().find("starts with row identifier \"row-00001\", the first "
                                        "page's first row, not with the row that ended the page "
                                        "before (row identifier \"row-00003\")"),
              std::string::npos)
        << scan.error->detail();
    EXPECT_EQ(scan.values, numbers(1, 3));
}

TEST(PageFetcher, ASortedScanWhoseNextRowsWereAllDeletedIsAnError) {
    // Only row 1 is left when the second page is asked for: the page at $offset=1 is empty.
    OffsetScan scan = offset_scan([](int n) { return std::pair{1, n == 0 ? 9 : 1}; }, 2);
    ASSERT_TRUE(scan.error);
    EXPECT_NE(scan.error->detail().find("The page at $offset=1 starts with no row"),
              std::string::npos)
        << scan.error->detail();
}

TEST(PageFetcher, AnEmptyRetryOfAnOffsetPageWhoseOverlapRowCameIsAnError) {
    // Pages of 2: the second page's first attempt brings the overlap row (2) and breaks off;
    // the rows after it were deleted meanwhile, so the retry at $offset=1 is empty. That is
    // the case above, not the end of the scan (the first attempt's row once hid it).
    int served = 0;
    LoopbackServer server([&](int fd, const std::string &, LoopbackServer &) {
        const int n = served++;
        if (n == 1) {
            const std::string body = rows_body(2, 4);
            LoopbackServer::send_all(fd, response_up_to(body, body.find(R"({"n":"3")")));
            return false;
        }
        LoopbackServer::send_all(fd, http(200, n == 0 ? rows_body(1, 2) : "[]"));
        return true;
    });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    request.order = "n";
    request.keyset = false;
    PageFetcher fetcher(client, request, 2);
    std::vector<std::string> values;
    try {
        Page page;
        while (fetcher.next(page))
            for (std::size_t r = 0; r < page.rows(); ++r)
                values.emplace_back(page.text(r, 0));
        ADD_FAILURE() << "the scan ended quietly after " << values.size() << " rows";
    } catch (const Error &e) {
        EXPECT_NE(e.detail().find("The page at $offset=1 starts with no row"), std::string::npos)
            << e.detail();
    }
    EXPECT_EQ(served, 3) << "the first page, the broken attempt and its retry";
}

TEST(PageFetcher, ASortedScanGivenItsFirstPageAgainIsAnErrorNotALoop) {
    // A cache in front of the portal ignores $offset.
    std::vector<std::string> values;
    Error e = paged_scan_error([](int) { return rows_body(1, 2); }, values, "n");
    EXPECT_EQ(e.kind(), ErrorKind::Protocol);
    EXPECT_NE(e.detail().find("starts with row identifier \"row-00001\", the first page's first "
                              "row"),
              std::string::npos)
        << e.detail();
    EXPECT_NE(e.hint().find("did not apply $offset"), std::string::npos) << e.hint();
    EXPECT_EQ(values, (std::vector<std::string>{"1", "2"})) << "nothing handed on twice";
}

TEST(PageFetcher, AnOffsetPageRetriedAfterChunksWereHandedOnSkipsItsFirstRowAgain) {
    // Pages of 4 over rows 1-9: the second page (rows 4-8 with the row before) breaks off after
    // rows 5 and 6 went out; the retry checks row 4 again and skips 5 and 6.
    OffsetScan scan = offset_scan([](int) { return std::pair{1, 9}; }, 4, true);
    ASSERT_FALSE(scan.error) << scan.error->what() << scan.error->detail();
    EXPECT_EQ(scan.values, numbers(1, 9));
    EXPECT_EQ(scan.requests.size(), 4u) << "three pages, one retried";
}

namespace {

// SELECT n, count(*) AS c ... GROUP BY n, pushed down: offset pages of groups.
ScanRequest count_by_n() {
    ScanRequest request;
    request.select = {"n", "count(*) AS c"};
    request.group = "n";
    request.order = "n";
    request.keyset = false;
    return request;
}

} // namespace

TEST(PageFetcher, GroupedPagesAreCheckedByTheirGroupingKeys) {
    // Groups have no :id, but their grouping keys tell them apart: a cache that ignores $offset
    // sends the first groups again.
    int requests = 0;
    LoopbackServer server([&](int fd, const std::string &, LoopbackServer &) {
        ++requests;
        LoopbackServer::send_all(
            fd, http(200, requests < 5 ? R"([{"n":"a","c":"1"},{"n":null,"c":"2"}])" : "[]"));
        return true;
    });
    SodaClient client(settings_for(server), nullptr);
    PageFetcher fetcher(client, count_by_n(), 2);
    Page page;
    ASSERT_TRUE(fetcher.next(page));
    Error e = first_page_error_of(fetcher);
    EXPECT_STREQ(e.what(), "the portal's rows moved while the query read them by $offset");
    EXPECT_NE(e.detail().find("starts with group \"a\", the first page's first row, not with the "
                              "row that ended the page before (group null)"),
              std::string::npos)
        << e.detail();
    EXPECT_EQ(requests, 2);
}

TEST(PageFetcher, AGroupWhoseAggregateChangedBetweenPagesIsNoMove) {
    // Groups a-e, two a page; rows added to the dataset after the first page raise every count.
    // The groups keep their places: the next page starts on group b, with its new count.
    const std::vector<std::string> groups{"a", "b", "c", "d", "e"};
    int requests = 0;
    LoopbackServer server([&](int fd, const std::string &req, LoopbackServer &) {
        const long offset = query_number(req, "$offset");
        const long limit = query_number(req, "$limit");
        std::string body = "[";
        for (long g = offset; g < std::min<long>(offset + limit, 5); ++g)
            body += std::string(g > offset ? "," : "") + R"({"n":")" + groups[g] + R"(","c":")" +
                    std::to_string(requests == 0 ? 10 : 20) + R"("})";
        ++requests;
        LoopbackServer::send_all(fd, http(200, body + "]"));
        return true;
    });
    SodaClient client(settings_for(server), nullptr);
    PageFetcher fetcher(client, count_by_n(), 2);
    EXPECT_EQ(fetch_all(fetcher), groups);
    EXPECT_EQ(requests, 3);
}

TEST(PageFetcher, MoreRowsThanThePageAskedForIsAnError) {
    // A server that ignores $limit would fill one page with the whole dataset.
    Error e = first_page_error(http(200, rows_body(1, 3)));
    EXPECT_EQ(e.kind(), ErrorKind::Protocol);
    EXPECT_STREQ(e.what(), "the portal sent more than the 2 rows a page asked for");
    EXPECT_NE(e.detail().find("$limit=2"), std::string::npos) << e.detail();
}

// The same check under $offset paging, where each page after the first starts one row early:
// the JSON row asked for is the one past the page, not the page's last row again (which would
// make the empty last page look followed by rows, and fail the scan).
TEST(PageFetcher, AShortOffsetPageEndedByAClosedConnectionIsCheckedPastItsLastRow) {
    int csv_requests = 0;
    LoopbackServer server([&](int fd, const std::string &req, LoopbackServer &) {
        const std::string line = req.substr(0, req.find('\r'));
        const int offset = static_cast<int>(query_number(line, "$offset"));
        const int first = offset + 1;
        int last = std::min(5, offset + static_cast<int>(query_number(line, "$limit")));
        if (line.find(".json?") != std::string::npos) {
            LoopbackServer::send_all(fd, http(200, rows_body(first, last)));
            return true;
        }
        if (++csv_requests == 2)
            last = first + 1; // cut: the row it repeats and one of its own
        LoopbackServer::send_all(fd, closed_csv(rows_csv(first, last)));
        return false;
    });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    request.order = "n";
    request.keyset = false;
    request.csv = true;
    PageFetcher fetcher(client, request, 2);
    EXPECT_EQ(fetch_all(fetcher), numbers(1, 5));
    std::vector<std::string> probes;
    for (const std::string &r : server.requests())
        if (r.find(".json?") != std::string::npos)
            probes.push_back(r.substr(0, r.find('\r')));
    ASSERT_EQ(probes.size(), 2u);
    EXPECT_NE(probes[0].find("$limit=1&$offset=3 "), std::string::npos) << probes[0];
    EXPECT_NE(probes[1].find("$limit=1&$offset=5 "), std::string::npos) << probes[1];
}
