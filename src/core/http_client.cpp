#include "http_client.hpp"

#include "error.hpp"
#include "redact.hpp"

#include <curl/curl.h>

#include <cstring>
#include <exception>
#include <mutex>

namespace socrata {

namespace {

constexpr const char *kUserAgent = "socrata_fdw/1.0";

// State shared with the callbacks of one transfer.
struct Transfer {
    CURL *curl;
    const HttpRequest *request;
    BodySink *sink;
    HttpResponse *response;
    std::exception_ptr error; // thrown by the sink, rethrown after curl returns
    bool cancelled = false;
    bool status_sent = false;
    long status = 0;
};

void capture(Transfer &t) noexcept {
    if (!t.error)
        t.error = std::current_exception();
}

size_t on_header(char *data, size_t size, size_t count, void *user) noexcept {
    auto &t = *static_cast<Transfer *>(user);
    size_t n = size * count;
    try {
        std::string line(data, n);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.pop_back();
        if (line.rfind("HTTP/", 0) == 0) { // a new response (e.g. after 100 Continue)
            t.response->retry_after.clear();
            t.status_sent = false;
            return n;
        }
        auto colon = line.find(':');
        if (colon == std::string::npos)
            return n;
        std::string name = line.substr(0, colon);
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        for (auto &c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name == "retry-after")
            t.response->retry_after = value;
        else if (name == "content-type")
            t.response->content_type = value;
        else if (name == "x-socrata-requestid")
            t.response->request_id = value;
        t.sink->on_header(name, value);
        return n;
    } catch (...) {
        capture(t);
        return 0; // aborts the transfer
    }
}

size_t on_body(char *data, size_t size, size_t count, void *user) noexcept {
    auto &t = *static_cast<Transfer *>(user);
    size_t n = size * count;
    try {
        if (!t.status_sent) {
            curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &t.status);
            t.status_sent = true;
            t.sink->on_status(static_cast<int>(t.status));
        }
        t.response->body_bytes += n;
        t.sink->on_body(data, n);
        return n;
    } catch (...) {
        capture(t);
        return 0;
    }
}

int on_progress(void *user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept {
    auto &t = *static_cast<Transfer *>(user);
    try {
        if (t.request->should_cancel && t.request->should_cancel()) {
            t.cancelled = true;
            return 1;
        }
        return 0;
    } catch (...) {
        capture(t);
        return 1;
    }
}

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

} // namespace

HttpClient::HttpClient() {
    global_init();
    curl_ = curl_easy_init();
    if (!curl_)
        throw Error(ErrorKind::Network, "could not initialise libcurl");
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL *>(curl_)); }

HttpResponse HttpClient::perform(const HttpRequest &request, BodySink &sink) {
    CURL *curl = static_cast<CURL *>(curl_);
    HttpResponse response;
    Transfer t{curl, &request, &sink, &response, nullptr};

    curl_easy_reset(curl); // keeps the connection cache
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); // Postgres owns SIGALRM
    curl_easy_setopt(curl, CURLOPT_USERAGENT, kUserAgent);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout_ms));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.low_speed_time_s));
    if (request.accept_gzip)
        curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);

    struct curl_slist *headers = nullptr;
    for (const auto &h : request.headers)
        headers = curl_slist_append(headers, h.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    char error_buffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);

    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);

    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    curl_off_t downloaded = 0;
    curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &downloaded);
    response.bytes_received = static_cast<std::uint64_t>(downloaded);
    double seconds = 0;
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &seconds);
    response.seconds = seconds;

    if (t.error)
        std::rethrow_exception(t.error);
    if (t.cancelled)
        throw Error(ErrorKind::Cancelled, "request cancelled",
                    "URL: " + redact(request.url, {}));
    if (rc != CURLE_OK) {
        std::string reason = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
        throw Error(ErrorKind::Network, "could not read from Socrata: " + reason,
                    "URL: " + redact(request.url, {}));
    }
    return response;
}

} // namespace socrata
