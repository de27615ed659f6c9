#include "soda_client.hpp"

#include "error.hpp"
#include "redact.hpp"
#include "soda_error.hpp"

#include <chrono>
#include <thread>

namespace socrata {

namespace {

constexpr std::size_t kMaxErrorBody = 64 * 1024;
constexpr std::size_t kMaxDocument = 64 * 1024 * 1024;

const char *hint_for_status(int status) {
    switch (status) {
    case 400:
        return "Socrata rejected the query; the message above says why.";
    case 401:
    case 403:
        return "Check the app_token option of your user mapping for this server.";
    case 404:
        return "Check the dataset option of the foreign table and the server's base_url.";
    case 429:
        return "The portal is throttling requests: create a user mapping with an app_token, "
               "or raise max_retries / retry_delay on the server.";
    default:
        return status >= 500 ? "The portal had a problem; try again later, or raise max_retries."
                             : "";
    }
}

// Collects a response: the body of a success goes to the consumer, the body of a failure is
// kept (bounded) for the error message.
class StreamSink : public BodySink {
  public:
    explicit StreamSink(const std::function<void(const char *, std::size_t)> &on_body)
        : on_body_(on_body) {}

    void on_status(int status) override { status_ = status; }
    void on_body(const char *data, std::size_t size) override {
        if (status_ >= 200 && status_ < 300 && status_ != 202) {
            on_body_(data, size);
        } else if (error_body_.size() < kMaxErrorBody) {
            error_body_.append(data, std::min(size, kMaxErrorBody - error_body_.size()));
        }
    }
    const std::string &error_body() const { return error_body_; }

  private:
    const std::function<void(const char *, std::size_t)> &on_body_;
    int status_ = 0;
    std::string error_body_;
};

} // namespace

SodaClient::SodaClient(ScanSettings settings, CancelCheck should_cancel)
    : settings_(std::move(settings)), should_cancel_(std::move(should_cancel)),
      retry_(RetryPolicy{settings_.max_retries, settings_.retry_delay_ms, settings_.max_retry_delay_ms}) {}

HttpRequest SodaClient::make_request(const std::string &url) const {
    HttpRequest request;
    request.url = url;
    request.headers.push_back("Accept: application/json");
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

void SodaClient::stream(const std::string &url, const std::function<void()> &on_attempt,
                        const std::function<void(const char *, std::size_t)> &on_body) {
    const std::string shown_url = redact(url, settings_.app_token);
    for (int attempt = 0;; ++attempt) {
        on_attempt();
        StreamSink sink(on_body);
        AttemptOutcome outcome;
        std::string failure;
        std::string failure_detail;
        int status = 0;
        ++stats_.requests;
        try {
            HttpResponse response = http_.perform(make_request(url), sink);
            stats_.bytes_received += response.bytes_received;
            status = response.status;
            if (status >= 200 && status < 300 && status != 202)
                return;
            outcome.http_status = status;
            outcome.retry_after = response.retry_after;
        } catch (const Error &e) {
            if (e.kind() != ErrorKind::Network)
                throw; // cancelled, or a body we cannot decode: retrying will not help
            outcome.network_error = true;
            failure = e.what();
            failure_detail = e.detail();
        }

        RetryDecision decision = retry_.decide(attempt + 1, outcome);
        if (decision.retry) {
            ++stats_.retries;
            sleep_before_retry(decision.delay_ms);
            continue;
        }
        std::string tries = attempt > 0 ? " after " + std::to_string(attempt + 1) + " attempts"
                                        : std::string();
        if (outcome.network_error)
            throw Error(ErrorKind::Network,
                        redact("Socrata request failed" + tries + ": " + failure,
                               settings_.app_token),
                        redact(failure_detail, settings_.app_token),
                        "Check the server's base_url and the network; timeouts are the "
                        "request_timeout and stall_timeout server options.");
        SodaError body = parse_soda_error(sink.error_body());
        std::string message = "Socrata returned HTTP " + std::to_string(status);
        if (!body.code.empty())
            message += " (" + body.code + ")";
        message += tries;
        if (!body.message.empty())
            message += ": " + body.message;
        throw Error::http(status, redact(message, settings_.app_token), "URL: " + shown_url,
                          hint_for_status(status));
    }
}

std::string SodaClient::get_document(const std::string &url) {
    std::string document;
    stream(
        url, [&] { document.clear(); },
        [&](const char *data, std::size_t size) {
            if (document.size() + size > kMaxDocument)
                throw Error(ErrorKind::BadResponse, "Socrata response too large",
                            "URL: " + redact(url, settings_.app_token));
            document.append(data, size);
        });
    return document;
}

} // namespace socrata
