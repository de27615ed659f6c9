#include "body_sinks.hpp"
#include "error.hpp"
#include "http_client.hpp"
#include "loopback_server.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <pthread.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <vector>

#include <dlfcn.h>
#include <zlib.h>

using namespace socrata;
using namespace socrata::test;
using Clock = std::chrono::steady_clock;

namespace {

std::string response(int status, const std::string &reason, const std::string &body,
                     const std::string &extra_headers = {}) {
    return "HTTP/1.1 " + std::to_string(status) + " " + reason +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" +
           body;
}

// Records everything a sink is told.
struct RecordingSink : BodySink {
    std::vector<int> statuses;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    void on_status(int s) override { statuses.push_back(s); }
    void on_header(const std::string &n, const std::string &v) override {
        headers.emplace_back(n, v);
    }
    void on_body(const char *d, std::size_t n) override {
        EXPECT_FALSE(statuses.empty()) << "body before status";
        body.append(d, n);
    }
};

// gzip of `data` using stored (uncompressed) deflate blocks: a valid gzip stream that needs
// no zlib in the test.
std::string gzip_stored(const std::string &data) {
    std::uint32_t table[256];
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    std::uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char ch : data)
        crc = table[(crc ^ ch) & 0xFF] ^ (crc >> 8);
    crc ^= 0xFFFFFFFFu;

    std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
    std::size_t pos = 0;
    do {
        const std::size_t n = std::min<std::size_t>(65535, data.size() - pos);
        const bool last = pos + n == data.size();
        out += char(last ? 1 : 0);
        out += char(n & 0xFF);
        out += char(n >> 8);
        out += char(~n & 0xFF);
        out += char((~n >> 8) & 0xFF);
        out.append(data, pos, n);
        pos += n;
    } while (pos < data.size());
    for (int i = 0; i < 4; ++i)
        out += char((crc >> (8 * i)) & 0xFF);
    for (int i = 0; i < 4; ++i)
        out += char((data.size() >> (8 * i)) & 0xFF);
    return out;
}

// Real gzip compression through the system zlib, loaded at run time (the unit test binary is
// not linked with -lz). Returns nullopt-like empty string if zlib is unavailable.
std::string gzip_real(const std::string &data) {
    void *lib = dlopen("libz.so.1", RTLD_NOW);
    if (!lib)
        return {};
    using InitFn = int (*)(z_streamp, int, int, int, int, int, const char *, int);
    using DeflateFn = int (*)(z_streamp, int);
    using EndFn = int (*)(z_streamp);
    auto init = reinterpret_cast<InitFn>(dlsym(lib, "deflateInit2_"));
    auto deflate_fn = reinterpret_cast<DeflateFn>(dlsym(lib, "deflate"));
    auto end = reinterpret_cast<EndFn>(dlsym(lib, "deflateEnd"));
    std::string out;
    if (init && deflate_fn && end) {
        z_stream s{};
        if (init(&s, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, int(sizeof s)) ==
            Z_OK) {
            out.resize(data.size() + 1024);
            s.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
            s.avail_in = uInt(data.size());
            s.next_out = reinterpret_cast<Bytef *>(&out[0]);
            s.avail_out = uInt(out.size());
            const int rc = deflate_fn(&s, Z_FINISH);
            out.resize(rc == Z_STREAM_END ? s.total_out : 0);
            end(&s);
        }
    }
    dlclose(lib);
    return out;
}

HttpRequest request_for(const std::string &url) {
    HttpRequest r;
    r.url = url;
    r.connect_timeout_ms = 2000;
    r.timeout_ms = 10000;
    return r;
}

} // namespace

TEST(HttpClient, CapturesStatusHeadersAndErrorBody) {
    const std::string body = "{\"code\":\"not_found\",\"error\":true,\"message\":\"no such view\"}";
    LoopbackServer server([&](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, response(404, "Not Found", body,
                                              "Content-Type: application/json; charset=utf-8\r\n"
                                              "X-Socrata-RequestId: abc123\r\nRetry-After: 7\r\n"));
        return true;
    });
    HttpClient client;
    RecordingSink sink;
    HttpRequest req = request_for(server.url("/resource/abcd-1234.json?$limit=1"));
    req.headers = {"X-App-Token: tok", "Accept: application/json"};
    HttpResponse r = client.perform(req, sink);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.content_type, "application/json; charset=utf-8");
    EXPECT_EQ(r.request_id, "abc123");
    EXPECT_EQ(r.retry_after, "7");
    EXPECT_EQ(r.body_bytes, body.size());
    EXPECT_GT(r.bytes_received, body.size()); // headers count too
    EXPECT_EQ(sink.statuses, std::vector<int>{404});
    EXPECT_EQ(sink.body, body);
    bool saw_request_id = false;
    for (auto &[n, v] : sink.headers)
        saw_request_id |= n == "x-socrata-requestid" && v == "abc123";
    EXPECT_TRUE(saw_request_id);

    const std::string sent = server.requests().at(0);
    EXPECT_NE(sent.find("GET /resource/abcd-1234.json?$limit=1 HTTP/1.1"), std::string::npos);
    EXPECT_NE(sent.find("User-Agent: socrata_fdw/"), std::string::npos) << sent;
    EXPECT_NE(sent.find("X-App-Token: tok"), std::string::npos) << sent;
}

TEST(HttpClient, ErrorSinkKeepsOnlyACappedErrorBody) {
    const std::string big(200 * 1024, 'e');
    LoopbackServer server([&](int fd, const std::string &req, LoopbackServer &) {
        const bool ok = req.find("/ok") != std::string::npos;
        LoopbackServer::send_all(fd, ok ? response(200, "OK", "[]") : response(500, "Err", big));
        return true;
    });
    HttpClient client;
    std::string streamed;
    SuccessOrErrorSink failing([&](const char *d, std::size_t n) { streamed.append(d, n); });
    EXPECT_EQ(client.perform(request_for(server.url("/bad")), failing).status, 500);
    EXPECT_EQ(failing.error_body().size(), kErrorBodyCapBytes);
    EXPECT_TRUE(streamed.empty());
    SuccessOrErrorSink ok([&](const char *d, std::size_t n) { streamed.append(d, n); });
    EXPECT_EQ(client.perform(request_for(server.url("/ok")), ok).status, 200);
    EXPECT_EQ(streamed, "[]");
    EXPECT_TRUE(ok.error_body().empty());
}

TEST(HttpClient, EmptyBodyStillReportsStatus) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, response(202, "Accepted", ""));
        return true;
    });
    HttpClient client;
    RecordingSink sink;
    EXPECT_EQ(client.perform(request_for(server.url("/")), sink).status, 202);
    EXPECT_EQ(sink.statuses, std::vector<int>{202});
}

// Behind a proxy (https_proxy in the postmaster's environment) an https request first opens
// a tunnel: the proxy's "200 Connection established" is not the portal's answer, and must not
// be taken for it (a 429 or 404 after it would then be read as rows). Here the tunnel opens
// and the TLS handshake through it fails: the sink hears of no status at all.
TEST(HttpClient, AProxyTunnelsAnswerIsNotThePortals) {
    LoopbackServer proxy([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, "HTTP/1.1 200 Connection established\r\n\r\n");
        return false; // then closes: the TLS handshake fails
    });
    // The loopback proxy for https only, whatever the environment says; put back after.
    struct ProxyEnvironment {
        std::vector<std::pair<std::string, std::optional<std::string>>> saved;
        explicit ProxyEnvironment(const std::string &url) {
            for (const char *name : {"https_proxy", "no_proxy", "NO_PROXY"}) {
                const char *value = std::getenv(name);
                saved.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
            }
            setenv("https_proxy", url.c_str(), 1);
            unsetenv("no_proxy");
            unsetenv("NO_PROXY");
        }
        ~ProxyEnvironment() {
            for (const auto &[name, value] : saved) {
                if (value)
                    setenv(name.c_str(), value->c_str(), 1);
                else
                    unsetenv(name.c_str());
            }
        }
    } environment(proxy.url(""));
    HttpClient client;
    RecordingSink sink;
    EXPECT_THROW(
        client.perform(request_for("https://data.example.org/resource/abcd-1234.json"), sink),
        Error);
    EXPECT_EQ(proxy.requests().size(), 1u);
    EXPECT_TRUE(sink.statuses.empty()) << "the proxy's 200 was taken as the portal's status";
    EXPECT_TRUE(sink.headers.empty());
}

// A body with neither Content-Length nor chunked encoding ends when the server closes the
// connection, which a cut connection looks just like: the response says so. A 100 Continue's
// header block before it does not count.
TEST(HttpClient, TellsABodyEndedOnlyByTheConnectionClosing) {
    LoopbackServer server([](int fd, const std::string &req, LoopbackServer &) {
        if (req.find("/length") != std::string::npos) {
            LoopbackServer::send_all(fd, response(200, "OK", "a,b\n"));
            return true;
        }
        if (req.find("/chunked") != std::string::npos) {
            LoopbackServer::send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
                                         "4\r\na,b\n\r\n0\r\n\r\n");
            return true;
        }
        LoopbackServer::send_all(fd, "HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n"
                                     "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\na,b\n");
        return false;
    });
    HttpClient client;
    for (const char *path : {"/length", "/chunked", "/closed"}) {
        RecordingSink sink;
        HttpResponse r = client.perform(request_for(server.url(path)), sink);
        EXPECT_EQ(r.status, 200) << path;
        EXPECT_EQ(sink.body, "a,b\n") << path;
        EXPECT_EQ(r.body_end,
                  std::string(path) == "/closed" ? BodyEnd::ConnectionClosed : BodyEnd::Marked)
            << path;
    }
}

// libcurl's callbacks, and any thread it starts (its threaded resolver), must not take the
// backend's signals: they run with SIGINT and SIGALRM blocked; the caller's mask comes back.
TEST(HttpClient, TransfersRunWithAsynchronousSignalsBlocked) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, response(200, "OK", "[]"));
        return true;
    });
    struct MaskSink : BodySink {
        bool int_blocked = false, alrm_blocked = false, segv_blocked = true;
        void on_body(const char *, std::size_t) override {
            sigset_t now;
            pthread_sigmask(SIG_SETMASK, nullptr, &now);
            int_blocked = sigismember(&now, SIGINT) == 1;
            alrm_blocked = sigismember(&now, SIGALRM) == 1;
            segv_blocked = sigismember(&now, SIGSEGV) == 1;
        }
    } sink;
    sigset_t before, after;
    pthread_sigmask(SIG_SETMASK, nullptr, &before);
    ASSERT_EQ(sigismember(&before, SIGINT), 0);
    HttpClient client;
    EXPECT_EQ(client.perform(request_for(server.url("/")), sink).status, 200);
    EXPECT_TRUE(sink.int_blocked);
    EXPECT_TRUE(sink.alrm_blocked);
    EXPECT_FALSE(sink.segv_blocked);
    pthread_sigmask(SIG_SETMASK, nullptr, &after);
    EXPECT_EQ(sigismember(&after, SIGINT), 0);
    EXPECT_EQ(sigismember(&after, SIGALRM), 0);
}

TEST(HttpClient, ReusesTheConnection) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, response(200, "OK", "[{}]"));
        return true;
    });
    HttpClient client;
    for (int i = 0; i < 3; ++i) {
        RecordingSink sink;
        EXPECT_EQ(client.perform(request_for(server.url("/p" + std::to_string(i))), sink).status,
                  200);
        EXPECT_EQ(sink.body, "[{}]");
    }
    EXPECT_EQ(server.requests().size(), 3u);
    EXPECT_EQ(server.connections(), 1);
}

TEST(HttpClient, DecompressesGzip) {
    std::string plain;
    for (int i = 0; i < 5000; ++i)
        plain += "{\"id\":\"" + std::to_string(i) + "\",\"primary_type\":\"THEFT\"},";
    const std::string real = gzip_real(plain);
    const bool compressed = !real.empty();
    const std::string gz = compressed ? real : gzip_stored(plain);
    LoopbackServer server([&](int fd, const std::string &req, LoopbackServer &) {
        EXPECT_NE(req.find("Accept-Encoding: gzip"), std::string::npos) << req;
        LoopbackServer::send_all(fd, response(200, "OK", gz, "Content-Encoding: gzip\r\n"));
        return true;
    });
    HttpClient client;
    RecordingSink sink;
    HttpResponse r = client.perform(request_for(server.url("/gz")), sink);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(sink.body, plain);
    EXPECT_EQ(r.body_bytes, plain.size());
    EXPECT_GE(r.bytes_received, gz.size()); // the wire count is of the compressed bytes
    EXPECT_LT(r.bytes_received, gz.size() + 1024);
    if (compressed) {
        EXPECT_LT(gz.size() * 5, plain.size()) << "zlib did not compress";
    }
    // A stored-block gzip stream (no compression) decodes as well.
    const std::string stored = gzip_stored(plain);
    LoopbackServer server2([&](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, response(200, "OK", stored, "Content-Encoding: gzip\r\n"));
        return true;
    });
    RecordingSink sink2;
    EXPECT_EQ(client.perform(request_for(server2.url("/gz")), sink2).status, 200);
    EXPECT_EQ(sink2.body, plain);
}

TEST(HttpClient, DoesNotFollowRedirects) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(
            fd, response(302, "Found", "", "Location: http://evil.example/steal\r\n"));
        return true;
    });
    HttpClient client;
    RecordingSink sink;
    HttpRequest req = request_for(server.url("/resource/abcd-1234.json"));
    req.headers = {"X-App-Token: secret-token"};
    HttpResponse r = client.perform(req, sink);
    EXPECT_EQ(r.status, 302);
    EXPECT_EQ(r.location, "http://evil.example/steal");
    EXPECT_EQ(server.requests().size(), 1u);
}

TEST(HttpClient, CancelsAStalledServerPromptly) {
    for (bool send_headers : {false, true}) {
        LoopbackServer server([&](int fd, const std::string &, LoopbackServer &s) {
            if (send_headers)
                LoopbackServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n[{");
            s.stall();
            return false;
        });
        HttpClient client;
        RecordingSink sink;
        HttpRequest req = request_for(server.url("/stall"));
        req.timeout_ms = 0;
        const auto start = Clock::now();
        req.should_cancel = [&] { return Clock::now() - start > std::chrono::milliseconds(300); };
        try {
            client.perform(req, sink);
            ADD_FAILURE() << "no cancellation";
        } catch (const Error &e) {
            EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
            EXPECT_NE(std::string(e.what()).find("127.0.0.1"), std::string::npos) << e.what();
        }
        const auto elapsed = Clock::now() - start;
        EXPECT_LT(elapsed, std::chrono::milliseconds(1000)) << "headers sent: " << send_headers;
        if (send_headers) {
            EXPECT_EQ(sink.body, "[{");
        }
    }
}

TEST(HttpClient, StallTimeoutIsANetworkError) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &s) {
        LoopbackServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[");
        s.stall();
        return false;
    });
    HttpClient client;
    RecordingSink sink;
    HttpRequest req = request_for(server.url("/slow"));
    req.low_speed_time_s = 1;
    const auto start = Clock::now();
    try {
        client.perform(req, sink);
        ADD_FAILURE() << "no stall error";
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::Network);
    }
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
}

struct SinkFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

TEST(HttpClient, SinkExceptionsPropagateOutOfPerform) {
    LoopbackServer server([](int fd, const std::string &, LoopbackServer &) {
        LoopbackServer::send_all(fd, response(200, "OK", std::string(100000, 'x')));
        return true;
    });
    HttpClient client;
    struct ThrowingBody : BodySink {
        void on_body(const char *, std::size_t) override { throw SinkFailure("decoder said no"); }
    } body_thrower;
    try {
        client.perform(request_for(server.url("/a")), body_thrower);
        ADD_FAILURE() << "no exception";
    } catch (const SinkFailure &e) {
        EXPECT_STREQ(e.what(), "decoder said no");
    }
    struct ThrowingStatus : BodySink {
        void on_status(int) override { throw SinkFailure("status refused"); }
        void on_body(const char *, std::size_t) override {}
    } status_thrower;
    EXPECT_THROW(client.perform(request_for(server.url("/b")), status_thrower), SinkFailure);
    // The client is still usable afterwards.
    RecordingSink sink;
    EXPECT_EQ(client.perform(request_for(server.url("/c")), sink).status, 200);
    EXPECT_EQ(sink.body.size(), 100000u);
}

TEST(HttpClient, ConnectionRefusedIsANetworkErrorWithRedactedUrl) {
    int port;
    {
        // Bind and close a socket to find a port nobody listens on.
        LoopbackServer probe([](int, const std::string &, LoopbackServer &) { return false; });
        port = probe.port();
    }
    HttpClient client;
    RecordingSink sink;
    HttpRequest req = request_for("http://127.0.0.1:" + std::to_string(port) +
                                  "/resource/abcd-1234.json?$$app_token=SECRET123&$limit=1");
    try {
        client.perform(req, sink);
        ADD_FAILURE() << "connected to a closed port";
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::Network);
        const std::string all = std::string(e.what()) + e.detail();
        EXPECT_NE(all.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << all;
        EXPECT_EQ(all.find("SECRET123"), std::string::npos) << all;
    }
}

TEST(HttpClient, RefusesOtherProtocols) {
    HttpClient client;
    RecordingSink sink;
    try {
        client.perform(request_for("file:///etc/passwd"), sink);
        ADD_FAILURE() << "file:// was read";
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::Network);
    }
    EXPECT_TRUE(sink.body.empty());
}
