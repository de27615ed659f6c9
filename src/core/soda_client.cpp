#include "soda_client.hpp"

#include "error.hpp"
#include "redact.hpp"
#include "body_sinks.hpp"
#include "soda_error.hpp"
#include "soql.hpp"

#include <chrono>
#include <string_view>
#include <thread>

namespace socrata {

namespace {

constexpr std::size_t kMaxDocument = std::size_t{64} << 20; // metadata, counts: small

// The Accept header for a request: the type of the path's extension, which picks the format.
// Socrata's content negotiation gives the Accept header the last word over the extension (a
// .csv path asked with "Accept: application/json" is answered in JSON), so a CSV request must
// accept CSV. JSON stays acceptable at a lower weight: error bodies are JSON whatever was asked.
const char *accept_header_for(std::string_view url) {
    constexpr std::string_view csv = ".csv";
    const std::string_view path = url.substr(0, url.find('?'));
    if (path.size() >= csv.size() && path.substr(path.size() - csv.size()) == csv)
        return "Accept: text/csv, application/json;q=0.5";
    return "Accept: application/json";
}

} // namespace

SodaClient::SodaClient(ScanSettings settings, CancelCheck should_cancel,
                       std::unique_ptr<HttpClient> http)
    : settings_(std::move(settings)), should_cancel_(std::move(should_cancel)),
      http_(std::move(http)), retry_(RetryPolicy{settings_.max_retries, settings_.retry_delay_ms,
                                                 settings_.max_retry_delay_ms}) {}

HttpRequest SodaClient::make_request(const std::string &url) const {
    HttpRequest request;
    request.url = url;
    request.headers.push_back(accept_header_for(url));
    if (!settings_.app_token.empty())
        request.headers.push_back("X-App-Token: " + settings_.app_token);
    request.timeout_ms = settings_.request_timeout_ms;
    request.connect_timeout_ms = settings_.connect_timeout_ms;
    request.low_speed_time_s = std::max(1, settings_.stall_timeout_ms / 1000);
    request.accept_gzip = settings_.use_gzip;
    request.should_cancel = should_cancel_;
    return request;
}

void SodaClient::sleep_before_retry(int delay_ms) {
    // In short steps, so a cancel or statement_timeout is honoured within ~50 ms.
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
    while (std::chrono::steady_clock::now() < until) {
        if (should_cancel_ && should_cancel_())
            throw Error(ErrorKind::Cancelled, "request cancelled while waiting to retry");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

BodyEnd SodaClient::stream(const std::string &url, const std::function<void()> &on_attempt,
                           const std::function<void(const char *, std::size_t)> &on_body) {
    // Every error out of a transfer is redacted once here: besides the URL, it may quote the
    // server's error body or the bytes a decoder stopped at, which can echo the token.
    return redacting_errors(settings_.app_token,
                            [&] { return stream_with_retries(url, on_attempt, on_body); });
}

BodyEnd
SodaClient::stream_with_retries(const std::string &url, const std::function<void()> &on_attempt,
                                const std::function<void(const char *, std::size_t)> &on_body) {
    // Errors quote `url` and the server's words as they are: stream() redacts them.
    if (!http_) // only now: a client that only describes requests opens nothing
        http_ = std::make_unique<HttpClient>();
    for (int attempt = 0;; ++attempt) {
        on_attempt();
        SuccessOrErrorSink sink(on_body);
        AttemptOutcome outcome;
        std::string failure;
        std::string failure_detail;
        int status = 0;
        std::string outcome_location; // a redirect's Location
        ++stats_.requests;
        try {
            HttpResponse response = http_->perform(make_request(url), sink);
            stats_.bytes_received += response.bytes_received;
            status = response.status;
            if (SuccessOrErrorSink::is_success(status))
                return response.body_end;
            outcome.http_status = status;
            outcome.retry_after = response.retry_after;
            outcome.received_at = response.received_at;
            outcome_location = response.location;
        } catch (const Error &e) {
            if (e.kind() != ErrorKind::Network)
                throw; // cancelled, or a body we cannot decode: retrying will not help
            outcome.network_error = true;
            outcome.lasting = e.lasting();
            failure = e.what();
            failure_detail = e.detail();
        }

        RetryDecision decision = retry_.decide(attempt + 1, outcome);
        if (decision.retry) {
            ++stats_.retries;
            sleep_before_retry(decision.delay_ms);
            continue;
        }
        std::string tries =
            attempt > 0 ? " (after " + std::to_string(attempt + 1) + " attempts)" : std::string();
        if (outcome.network_error)
            throw Error(ErrorKind::Network, failure + tries, failure_detail,
                        "Check the server's base_url and the network; timeouts are the "
                        "connect_timeout, request_timeout and stall_timeout server options.");
        // The request id is left out of the message: it differs on every request, and the
        // status, Socrata's own message and the URL are what a user acts on.
        // The URL, the body and the redirect target masked before the message cuts them
        // short: a token split by a cut would no longer be recognised by stream()'s redaction
        // (a proxy's error page may echo the request's headers).
        Error error = error_for_http_status(status, redact(sink.error_body(), settings_.app_token),
                                            redact(url, settings_.app_token),
                                            redact(outcome_location, settings_.app_token));
        if (attempt > 0)
            error = Error::http(status, std::string(error.what()) + tries, error.detail(),
                                error.hint());
        throw error;
    }
}

std::string SodaClient::get_document(const std::string &url) {
    std::string document;
    stream(
        url, [&] { document.clear(); },
        [&](const char *data, std::size_t size) {
            if (document.size() + size > kMaxDocument)
                throw Error(ErrorKind::BadResponse, "Socrata response too large",
                            "URL: " + url + "."); // inside stream(), which redacts it
            document.append(data, size);
        });
    return document;
}

DatasetMetadata SodaClient::get_metadata(const std::string &dataset_id) {
    const std::string url = build_metadata_url(settings_.base_url, dataset_id);
    const std::string document = get_document(url);
    DatasetMetadata metadata = redacting_errors(
        settings_.app_token, [&] { return parse_dataset_metadata(document, url); });
    // Its texts become catalog comments and column names that every user can read (IMPORT
    // FOREIGN SCHEMA), and a server could echo the app token in them.
    if (!settings_.app_token.empty()) {
        for (std::string *text : {&metadata.id, &metadata.name, &metadata.description})
            *text = redact(*text, settings_.app_token);
        for (DatasetColumn &column : metadata.columns)
            for (std::string *text : {&column.field_name, &column.data_type_name,
                                      &column.display_name, &column.description})
                *text = redact(*text, settings_.app_token);
    }
    return metadata;
}

} // namespace socrata
