// SodaClient's whole-document requests (metadata, counts) against a loopback server.
#include "error.hpp"
#include "loopback_server.hpp"
#include "soda_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>
#include <thread>

using namespace socrata;
using socrata::test::http;
using socrata::test::LoopbackServer;

// A document is held whole in memory, so a server that sends a larger one than any metadata
// or count could be (hostile, or a proxy's runaway page) is cut off at the cap, and the
// request is not retried: the same URL would bring the same body.
TEST(SodaClient, ADocumentPastItsCapIsRefusedNotHeldOrRetried) {
    const std::size_t cap = std::size_t{64} << 20;
    const std::string chunk(1 << 20, ' ');
    LoopbackServer server([&](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                     "Content-Length: " +
                                         std::to_string(cap + chunk.size()) + "\r\n\r\n");
        for (std::size_t sent = 0; sent < cap + chunk.size() && !server.stopping();
             sent += chunk.size())
            LoopbackServer::send_all(fd, chunk);
        return false;
    });
    ScanSettings settings;
    settings.base_url = server.url("");
    settings.retry_delay_ms = 1;
    SodaClient client(settings, nullptr);
    try {
        client.get_document(server.url("/api/views/abcd-1234.json"));
        FAIL() << "expected an error";
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::BadResponse);
        EXPECT_STREQ(e.what(), "Socrata response too large");
        EXPECT_NE(e.detail().find("/api/views/abcd-1234.json"), std::string::npos) << e.detail();
    }
    EXPECT_EQ(server.requests().size(), 1u);
}

// A transport failure that the same request would meet again (here a URL libcurl cannot
// parse; in life, a certificate that does not verify) is reported at once, not retried.
TEST(SodaClient, ALastingTransportFailureIsNotRetried) {
    ScanSettings settings;
    settings.base_url = "http://127.0.0.1:1";
    settings.max_retries = 3;
    settings.retry_delay_ms = 1;
    SodaClient client(settings, nullptr);
    try {
        client.get_document("http://127.0.0.1:99999/api/views/abcd-1234.json");
        FAIL() << "expected an error";
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::Network);
        EXPECT_NE(e.detail().find("libcurl error 3."), std::string::npos) << e.detail();
    }
    EXPECT_EQ(client.stats().requests, 1) << "retried";
}

// A document within the cap comes back whole.
TEST(SodaClient, ADocumentComesBackWhole) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, http(200, "[{\"row_count\":\"42\"}]\r\n"));
        return true;
    });
    ScanSettings settings;
    settings.base_url = server.url("");
    SodaClient client(settings, nullptr);
    EXPECT_EQ(client.get_document(server.url("/resource/abcd-1234.json")),
              "[{\"row_count\":\"42\"}]\r\n");
}

// Metadata that cannot be read names where it came from, as every error from the portal does.
TEST(SodaClient, UnreadableMetadataNamesItsUrl) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, http(200, "{\"id\":\"abcd-1234\"}"));
        return true;
    });
    ScanSettings settings;
    settings.base_url = server.url("");
    SodaClient client(settings, nullptr);
    try {
        client.get_metadata("abcd-1234");
        FAIL() << "expected an error";
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::BadResponse);
        EXPECT_STREQ(e.what(), "dataset metadata has no \"columns\" array");
        EXPECT_EQ(e.detail(), "Metadata from " + server.url("/api/views/abcd-1234.json") + ".");
    }
}

// Metadata texts become catalog comments and column names every user can read: a server that
// echoes the app token in them gets it masked.
TEST(SodaClient, MetadataThatEchoesTheTokenHasItMasked) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(
            fd,
            http(200, R"({"id":"abcd-1234","name":"n TOKEN-meta-9","description":"TOKEN-meta-9",)"
                      R"("columns":[{"fieldName":"f_TOKEN-meta-9","dataTypeName":"text",)"
                      R"("name":"TOKEN-meta-9 d","description":"x TOKEN-meta-9"}]})"));
        return true;
    });
    ScanSettings settings;
    settings.base_url = server.url("");
    settings.app_token = "TOKEN-meta-9";
    SodaClient client(settings, nullptr);
    const DatasetMetadata m = client.get_metadata("abcd-1234");
    EXPECT_EQ(m.id, "abcd-1234");
    EXPECT_EQ(m.name, "n ***");
    EXPECT_EQ(m.description, "***");
    ASSERT_EQ(m.columns.size(), 1u);
    EXPECT_EQ(m.columns[0].field_name, "f_***");
    EXPECT_EQ(m.columns[0].data_type_name, "text");
    EXPECT_EQ(m.columns[0].display_name, "*** d");
    EXPECT_EQ(m.columns[0].description, "x ***");
}

// An HTTP-date Retry-After counts from when the answer arrived, not from when the request was
// sent: a server that took 2 s to answer "retry at <the whole second after next>" is asked
// again 1 to 2 s after answering, not 3 to 4 s (the wait once ran from the request), nor after
// the usual backoff of under a second (the header ignored).
TEST(SodaClient, AnHttpDateRetryAfterCountsFromTheAnswer) {
    using Clock = std::chrono::system_clock;
    std::atomic<int> requests{0};
    std::atomic<Clock::rep> answered{0}, asked_again{0};
    LoopbackServer server([&](int fd, const std::string &, LoopbackServer &) {
        if (requests++ == 0) {
            std::this_thread::sleep_for(std::chrono::seconds(2));
            const std::time_t retry_at = Clock::to_time_t(Clock::now()) + 2;
            std::tm utc{};
            gmtime_r(&retry_at, &utc);
            char date[64];
            std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &utc);
            answered = Clock::now().time_since_epoch().count();
            LoopbackServer::send_all(fd,
                                     http(503, "{}", "Retry-After: " + std::string(date) + "\r\n"));
        } else {
            asked_again = Clock::now().time_since_epoch().count();
            LoopbackServer::send_all(fd, http(200, "[]"));
        }
        return true;
    });
    ScanSettings settings;
    settings.base_url = server.url("");
    SodaClient client(settings, nullptr);
    EXPECT_EQ(client.get_document(server.url("/resource/abcd-1234.json")), "[]");
    ASSERT_EQ(requests.load(), 2);
    const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(
        Clock::duration(asked_again.load() - answered.load()));
    EXPECT_GT(gap.count(), 900) << "ms between the 503 and the retry";
    EXPECT_LT(gap.count(), 2600) << "ms between the 503 and the retry";
}

// A client that was given no HTTP client makes one for its first request, not before: EXPLAIN
// builds one only to describe a request, and must not open (or take from the pool) anything.
TEST(SodaClient, MakesItsHttpClientOnlyForItsFirstRequest) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, http(200, "[]"));
        return true;
    });
    ScanSettings settings;
    settings.base_url = server.url("");
    SodaClient describer(settings, nullptr);
    EXPECT_EQ(describer.release_http(), nullptr);

    SodaClient sender(settings, nullptr);
    sender.get_document(server.url("/resource/abcd-1234.json"));
    EXPECT_NE(sender.release_http(), nullptr);
}
