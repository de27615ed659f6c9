// PageFetcher + SodaClient against a scripted loopback server: keyset paging, retries, errors.
#include "error.hpp"
#include "loopback_server.hpp"
#include "page_fetcher.hpp"

#include <gtest/gtest.h>

#include <atomic>

using namespace socrata;
using socrata::test::LoopbackServer;

namespace {

std::string http(int status, const std::string &body, const std::string &headers = {}) {
    return "HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nContent-Type: application/json\r\n" + headers + "\r\n" + body;
}

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
}

TEST(PageFetcher, LimitCapsThePagesRequested) {
    LoopbackServer server(
        [](int fd, const std::string &req, LoopbackServer &) { return serve_pages(fd, req); });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    request.limit = 1;
    PageFetcher fetcher(client, request, 2);
    fetch_all(fetcher);
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
    std::atomic<int> calls{0};
    LoopbackServer server([&](int fd, const std::string &, LoopbackServer &) {
        ++calls;
        LoopbackServer::send_all(
            fd,
            http(400, R"({"code":"query.compiler.malformed","error":true,"message":"bad where"})"));
        return true;
    });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    request.where = "n = 'x'";
    PageFetcher fetcher(client, request, 2);
    Page page;
    try {
        fetcher.next(page);
        FAIL() << "expected an error";
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::Http);
        EXPECT_EQ(e.http_status(), 400);
        EXPECT_NE(std::string(e.what()).find("bad where"), std::string::npos);
        EXPECT_NE(e.detail().find("/resource/abcd-1234.json?"), std::string::npos);
        EXPECT_EQ(std::string(e.what()).find("sekrit"), std::string::npos);
        EXPECT_EQ(e.detail().find("sekrit"), std::string::npos);
    }
    EXPECT_EQ(calls.load(), 1) << "a 400 is not retried";
}

TEST(PageFetcher, GivesUpAfterMaxRetries) {
    std::atomic<int> calls{0};
    LoopbackServer server([&](int fd, const std::string &, LoopbackServer &) {
        ++calls;
        LoopbackServer::send_all(fd, http(503, R"({"message":"busy","error":true})"));
        return true;
    });
    SodaClient client(settings_for(server), nullptr);
    ScanRequest request;
    request.select = {"n"};
    PageFetcher fetcher(client, request, 2);
    Page page;
    EXPECT_THROW(fetcher.next(page), Error);
    EXPECT_EQ(calls.load(), 3) << "one attempt plus max_retries=2";
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
    Page page;
    try {
        fetcher.next(page);
        FAIL() << "expected cancellation";
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
    }
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
