// BackgroundFetcher: pages arrive in order, the next page is fetched ahead, errors and cancels
// reach the caller, and stopping mid-transfer is prompt.
#include "background_fetcher.hpp"
#include "error.hpp"
#include "loopback_server.hpp"

#include <gtest/gtest.h>

using namespace socrata;
using socrata::test::LoopbackServer;

namespace {

std::string http(int status, const std::string &body) {
    return "HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nContent-Type: application/json\r\n\r\n" + body;
}

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
