// A thin libcurl wrapper with no Postgres in it. One HttpClient owns one easy handle, reused
// across requests so pages share a kept-alive connection.
//
// Exceptions never cross libcurl's C frames: every callback catches what the sink throws,
// aborts the transfer, and perform() rethrows once curl has returned.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace socrata {

struct HttpRequest {
    std::string url;
    std::vector<std::string> headers; // "Name: value"
    int timeout_ms = 0;               // whole request; 0 = none
    int connect_timeout_ms = 30000;
    int low_speed_time_s = 60; // abort when under 1 byte/s for this long (a stalled body)
    bool accept_gzip = true;   // curl then decompresses
    std::function<bool()> should_cancel; // polled while waiting; true aborts (Error Cancelled)
};

struct HttpResponse {
    int status = 0;
    std::string content_type;
    std::string retry_after;
    std::string request_id;          // X-Socrata-RequestId
    std::uint64_t bytes_received = 0; // on the wire (compressed)
    std::uint64_t body_bytes = 0;     // after decompression
    double seconds = 0;
};

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

    // Performs a GET. Throws Error(Network) on transport failure, Error(Cancelled) when
    // should_cancel said so, or whatever the sink threw. HTTP error statuses are returned.
    HttpResponse perform(const HttpRequest &request, BodySink &sink);

  private:
    void *curl_; // CURL*, kept opaque so users need not include curl.h
};

} // namespace socrata
