// A thin libcurl wrapper with no Postgres in it. One HttpClient owns one easy handle and one
// multi handle, reused across requests so pages share a kept-alive connection.
//
// Decisions:
//  - Redirects are NOT followed: libcurl would resend our custom headers, including
//    X-App-Token, to whatever host a redirect names. A 3xx comes back as a status (with
//    `location` filled in) and the caller reports it with a hint to fix base_url.
//  - Only http and https are allowed, so a hostile base_url cannot reach file:// or others.
//  - CURLOPT_NOSIGNAL: Postgres owns SIGALRM, so libcurl must not use signals for timeouts.
//  - The transfer runs in our own loop with a 100 ms poll, checking should_cancel between
//    polls (and in libcurl's progress callback), so a query cancel is honoured within about
//    0.1 s even when the server sends nothing at all.
//  - Exceptions never cross libcurl's C frames: every callback catches what the sink throws,
//    makes libcurl abort the transfer, and perform() rethrows once libcurl has returned.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#ifndef SOCRATA_FDW_VERSION
#define SOCRATA_FDW_VERSION "1.0"
#endif

namespace socrata {

struct HttpRequest {
    std::string url;
    std::vector<std::string> headers; // "Name: value"
    int timeout_ms = 0;               // whole request; 0 = none
    int connect_timeout_ms = 30000;
    int low_speed_time_s = 60; // abort when under 1 byte/s for this long (a stalled body); 0 = off
    bool accept_gzip = true;   // curl then decompresses
    std::function<bool()> should_cancel; // polled while waiting; true aborts (Error Cancelled)
};

// How a response's body ended. HTTP/1 lets a server send a body with neither Content-Length
// nor chunked encoding and end it by closing the connection; a connection cut short then looks
// just like a whole body, so a reader that cannot tell its own end (CSV) must not trust it.
enum class BodyEnd {
    Marked,           // by Content-Length, the last chunk, or HTTP/2's framing
    ConnectionClosed, // only by the server closing the connection
};

struct HttpResponse {
    int status = 0;
    BodyEnd body_end = BodyEnd::Marked;
    std::string content_type;
    std::string retry_after;
    std::string request_id;           // X-Socrata-RequestId
    std::string location;             // Location of a 3xx (not followed)
    std::uint64_t bytes_received = 0; // on the wire: headers + body as sent (compressed)
    std::uint64_t body_bytes = 0;     // handed to the sink, after decompression
    double seconds = 0;
    // When the final response's headers were complete: an HTTP-date Retry-After counts from
    // here, not from when the request was sent (the server may have taken its time answering).
    std::chrono::system_clock::time_point received_at{};
};

// Receives one response. on_status runs once, when the final response's headers are complete
// (before any on_body), even for an empty body. Header names are lowercased.
class BodySink {
  public:
    virtual ~BodySink() = default;
    virtual void on_status(int /*status*/) {}
    virtual void on_header(const std::string & /*name*/, const std::string & /*value*/) {}
    virtual void on_body(const char *data, std::size_t size) = 0;
};

class HttpClient {
  public:
    HttpClient();
    ~HttpClient();
    HttpClient(const HttpClient &) = delete;
    HttpClient &operator=(const HttpClient &) = delete;

    // Performs a GET. Throws Error(Network) on transport failure (message with libcurl's
    // reason and the redacted URL), Error(Cancelled) when should_cancel said so, or whatever
    // the sink threw. HTTP error statuses are returned, not thrown.
    HttpResponse perform(const HttpRequest &request, BodySink &sink);

  private:
    void *curl_;  // CURL*, kept opaque so users need not include curl.h
    void *multi_; // CURLM*, owns the connection cache between requests
};

} // namespace socrata
