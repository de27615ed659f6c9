// BackgroundFetcher: pages arrive in order, the next page is fetched ahead, errors and cancels
// reach the caller, and stopping mid-transfer is prompt.
#include "background_fetcher.hpp"
#include "error.hpp"
#include "keyset_pages.hpp"
#include "loopback_server.hpp"

#include <gtest/gtest.h>

using namespace socrata;
using socrata::test::http;
using socrata::test::LoopbackServer;
using socrata::test::response_up_to;
using socrata::test::rows_body;

namespace {

// Pages of one row each: row-1, row-2, row-3, then an empty page.
bool serve_rows(int fd, const std::string &request) {
    std::string body = R"([{"n":"1",":id":"row-1"}])";
    if (request.find("%27row-1%27") != std::string::npos)
        body = R"([{"n":"2",":id":"row-2"}])";
    else if (request.find("%27row-2%27") != std::string::npos)
        body = R"([{"n":"3",":id":"row-3"}])";
    else if (request.find("%27row-3%27") != std::string::npos)
        body = "[]";
    LoopbackServer::send_all(fd, http(200, body));
    return true;
}

struct Rig {
    std::atomic<bool> flag{false};
    ScanSettings settings;
    std::unique_ptr<SodaClient> client;
    std::unique_ptr<PageFetcher> fetcher;

    explicit Rig(const LoopbackServer &server) {
        settings.base_url = server.url("");
        settings.dataset = "abcd-1234";
        settings.max_retries = 0;
        client = std::make_unique<SodaClient>(settings, [this] { return flag.load(); });
        ScanRequest request;
        request.select = {"n"};
        fetcher = std::make_unique<PageFetcher>(*client, request, 1);
    }
};

} // namespace

TEST(BackgroundFetcher, DeliversEveryPageInOrderAndFetchesAhead) {
    LoopbackServer server(
        [](int fd, const std::string &req, LoopbackServer &) { return serve_rows(fd, req); });
    Rig rig(server);
    BackgroundFetcher prefetch(*rig.fetcher, rig.flag, nullptr);
    Page page;
    std::vector<std::string> seen;
    ASSERT_TRUE(prefetch.next(page));
    seen.emplace_back(page.text(0, 0));
    // While the caller holds page 1, the worker asks for page 2 on its own.
    for (int i = 0; i < 200 && server.requests().size() < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_GE(server.requests().size(), 2u);
    while (prefetch.next(page))
        seen.emplace_back(page.text(0, 0));
    EXPECT_EQ(seen, (std::vector<std::string>{"1", "2", "3"}));
    EXPECT_FALSE(prefetch.next(page)) << "stays finished";
}

TEST(BackgroundFetcher, RethrowsTheWorkersError) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, http(400, R"({"message":"nope","error":true})"));
        return true;
    });
    Rig rig(server);
    BackgroundFetcher prefetch(*rig.fetcher, rig.flag, nullptr);
    Page page;
    try {
        prefetch.next(page);
        FAIL() << "expected the HTTP error";
    } catch (const Error &e) {
        EXPECT_EQ(e.http_status(), 400);
    }
}

TEST(BackgroundFetcher, CallerCancelStopsAStalledTransfer) {
    LoopbackServer server([](int, const std::string &, LoopbackServer &s) {
        s.stall();
        return false;
    });
    Rig rig(server);
    auto started = std::chrono::steady_clock::now();
    BackgroundFetcher prefetch(*rig.fetcher, rig.flag, [&] {
        return std::chrono::steady_clock::now() - started > std::chrono::milliseconds(300);
    });
    Page page;
    try {
        prefetch.next(page);
        FAIL() << "expected cancellation";
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1300));
}

TEST(BackgroundFetcher, StoppingMidTransferIsPrompt) {
    LoopbackServer server([](int, const std::string &, LoopbackServer &s) {
        s.stall();
        return false;
    });
    Rig rig(server);
    auto prefetch = std::make_unique<BackgroundFetcher>(*rig.fetcher, rig.flag, nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto started = std::chrono::steady_clock::now();
    prefetch.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1000));
}

TEST(BackgroundFetcher, HandsOverRowsBeforeThePageHasArrived) {
    // The server sends the first half of a 10-row page, then waits until the caller has rows.
    std::atomic<bool> caller_has_rows{false};
    LoopbackServer server([&](int fd, const std::string &, LoopbackServer &s) {
        std::string body = rows_body(1, 10);
        std::size_t half = body.find(R"({"n":"6")");
        LoopbackServer::send_all(fd, response_up_to(body, half));
        while (!caller_has_rows && !s.stopping())
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        LoopbackServer::send_all(fd, body.substr(half));
        return true;
    });
    Rig rig(server);
    ScanRequest request;
    request.select = {"n"};
    request.limit = 10;
    PageFetcher fetcher(*rig.client, request, 10);
    BackgroundFetcher prefetch(fetcher, rig.flag, nullptr, 2);
    Page page;
    ASSERT_TRUE(prefetch.next(page)) << "the first chunk comes while the page is half sent";
    EXPECT_EQ(page.rows(), 2u);
    caller_has_rows = true;
    std::vector<std::string> seen;
    do {
        for (std::size_t r = 0; r < page.rows(); ++r)
            seen.emplace_back(page.text(r, 0));
    } while (prefetch.next(page));
    EXPECT_EQ(seen, (std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}));
}

TEST(BackgroundFetcher, AsksForTheNextPageOnlyWhenEveryRowWasTaken) {
    // Endless pages of two rows each, continuing after the :id in the request.
    LoopbackServer server([](int fd, const std::string &req, LoopbackServer &) {
        int after = 0;
        std::size_t at = req.find("%27row-");
        if (at != std::string::npos)
            after = std::stoi(req.substr(at + 7, 5));
        LoopbackServer::send_all(fd, http(200, rows_body(after + 1, after + 2)));
        return true;
    });
    Rig rig(server);
    ScanRequest request;
    request.select = {"n"};
    PageFetcher fetcher(*rig.client, request, 2);
    BackgroundFetcher prefetch(fetcher, rig.flag, nullptr, 1);
    auto requests_after_a_while = [&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        return server.requests().size();
    };
    // Page 1 arrives as two chunks of one row; while any of its rows waits, nothing more.
    EXPECT_EQ(requests_after_a_while(), 1u);
    Page page;
    ASSERT_TRUE(prefetch.next(page));
    EXPECT_EQ(page.text(0, 0), "1");
    EXPECT_EQ(requests_after_a_while(), 1u);
    ASSERT_TRUE(prefetch.next(page));
    EXPECT_EQ(page.text(0, 0), "2");
    // Every row taken: page 2 is fetched while the caller works on row 2, and only page 2.
    EXPECT_EQ(requests_after_a_while(), 2u);
    // Only the first page comes in chunks; the next ones come whole.
    ASSERT_TRUE(prefetch.next(page));
    ASSERT_EQ(page.rows(), 2u);
    EXPECT_EQ(page.text(1, 0), "4");
    EXPECT_EQ(requests_after_a_while(), 3u);
}
