// Requests to one Socrata portal on behalf of one scan: adds the app token header, retries
// what is worth retrying (throttling, server errors, network failures) with backoff, turns
// failures into errors that name the HTTP status, Socrata's own message and the URL (never
// the token), and counts what crossed the network. Reuses one connection (keep-alive).
#pragma once

#include "dataset_metadata.hpp"
#include "fdw_options.hpp"
#include "http_client.hpp"
#include "retry_policy.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace socrata {

struct FetchStats {
    std::uint64_t requests = 0;
    std::uint64_t pages = 0;
    std::uint64_t rows = 0;
    std::uint64_t bytes_received = 0; // on the wire (compressed if gzip)
    std::uint64_t retries = 0;

    FetchStats &operator+=(const FetchStats &other) noexcept {
        requests += other.requests;
        pages += other.pages;
        rows += other.rows;
        bytes_received += other.bytes_received;
        retries += other.retries;
        return *this;
    }
};

class SodaClient {
  public:
    using CancelCheck = std::function<bool()>;

    // `http`: the client to send with (HttpClientPool::take()); without one, a new one is made
    // for the first request, on the thread that sends it (libcurl's global set-up included,
    // the first time): a client sent from a worker thread must be given one.
    SodaClient(ScanSettings settings, CancelCheck should_cancel,
               std::unique_ptr<HttpClient> http = nullptr);

    // GETs url and streams the body of a successful response to on_body. on_attempt runs
    // before every attempt, so the consumer can start over after a failed one. Throws
    // Error(Http | Network | BadResponse | Cancelled) once retries are exhausted, with the app
    // token masked wherever the server's words are quoted. Returns how the body's end was shown
    // (BodyEnd).
    BodyEnd stream(const std::string &url, const std::function<void()> &on_attempt,
                   const std::function<void(const char *, std::size_t)> &on_body);

    // GETs a small document (metadata, a count) whole.
    std::string get_document(const std::string &url);

    // GETs and parses a dataset's metadata (<base_url>/api/views/<id>.json). Errors are
    // redacted as stream()'s are, the parser's (which quote the document) included.
    DatasetMetadata get_metadata(const std::string &dataset_id);

    // Hands the HTTP client, with its open connections, back (to HttpClientPool::give_back);
    // null if no request was sent and none was given. No request may be sent after.
    std::unique_ptr<HttpClient> release_http() noexcept { return std::move(http_); }

    const ScanSettings &settings() const noexcept { return settings_; }
    FetchStats &stats() noexcept { return stats_; }

  private:
    BodyEnd stream_with_retries(const std::string &url, const std::function<void()> &on_attempt,
                                const std::function<void(const char *, std::size_t)> &on_body);
    HttpRequest make_request(const std::string &url) const;
    void sleep_before_retry(int delay_ms);

    ScanSettings settings_;
    CancelCheck should_cancel_;
    std::unique_ptr<HttpClient> http_;
    RetryDecider retry_;
    FetchStats stats_;
};

} // namespace socrata
