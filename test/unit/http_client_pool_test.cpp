// HttpClientPool: idle clients, with their kept-alive connections, for the next scan.
#include "body_sinks.hpp"
#include "http_client_pool.hpp"
#include "loopback_server.hpp"

#include <gtest/gtest.h>

using namespace socrata;
using socrata::test::http;
using socrata::test::LoopbackServer;

TEST(HttpClientPool, GivesBackTheLastClientThenNewOnes) {
    HttpClientPool pool(2);
    EXPECT_EQ(pool.idle(), 0u);
    std::unique_ptr<HttpClient> a = pool.take();
    std::unique_ptr<HttpClient> b = pool.take();
    ASSERT_TRUE(a && b);
    EXPECT_NE(a.get(), b.get());
    HttpClient *first = a.get();
    pool.give_back(std::move(a));
    EXPECT_EQ(pool.idle(), 1u);
    EXPECT_EQ(pool.take().get(), first);
    EXPECT_EQ(pool.idle(), 0u);
    pool.give_back(nullptr); // nothing to keep
    EXPECT_EQ(pool.idle(), 0u);
}

TEST(HttpClientPool, KeepsAtMostItsCapacity) {
    HttpClientPool pool(2);
    for (int i = 0; i < 5; ++i)
        pool.give_back(std::make_unique<HttpClient>());
    EXPECT_EQ(pool.idle(), 2u);
}

// The point of it: a client taken again still has its connection open.
TEST(HttpClientPool, AClientTakenAgainReusesItsConnection) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, http(200, "[]"));
        return true;
    });
    HttpClientPool pool(2);
    for (int i = 0; i < 3; ++i) {
        std::unique_ptr<HttpClient> client = pool.take();
        HttpRequest request;
        request.url = server.url("/resource/abcd-1234.json");
        SuccessOrErrorSink sink([](const char *, std::size_t) {});
        EXPECT_EQ(client->perform(request, sink).status, 200);
        pool.give_back(std::move(client));
    }
    EXPECT_EQ(server.requests().size(), 3u);
    EXPECT_EQ(server.connections(), 1);
}
