#include "http_client.hpp"

#include "ascii_case.hpp"
#include "error.hpp"
#include "redact.hpp"

#include <curl/curl.h>
#include <pthread.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <exception>
#include <mutex>

namespace socrata {

namespace {

// A thread inherits the signal mask of the thread that starts it, and libcurl's threaded
// resolver starts one inside curl_multi_perform. A Postgres signal handler (query cancel,
// statement_timeout) must only ever run on the backend's own thread, so libcurl runs with the
// asynchronous signals blocked and they are let through only while waiting in poll. The
// synchronous ones (SIGSEGV, SIGBUS, SIGFPE, SIGILL) are never blocked.
class AsyncSignalsBlocked {
  public:
    AsyncSignalsBlocked() noexcept {
        sigfillset(&blocked_);
        for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP})
            sigdelset(&blocked_, sig);
        pthread_sigmask(SIG_BLOCK, &blocked_, &saved_);
    }
    ~AsyncSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
    AsyncSignalsBlocked(const AsyncSignalsBlocked &) = delete;
    AsyncSignalsBlocked &operator=(const AsyncSignalsBlocked &) = delete;

    // Runs f with the caller's own mask back in place.
    template <typename F> void unblocked(F &&f) const {
        pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
        f();
        pthread_sigmask(SIG_BLOCK, &blocked_, nullptr);
    }

  private:
    sigset_t blocked_;
    sigset_t saved_;
};

constexpr const char *kUserAgent = "socrata_fdw/" SOCRATA_FDW_VERSION;
constexpr int kPollMs = 100; // cancel latency while the server is silent

// State shared with the callbacks of one transfer.
struct Transfer {
    CURL *curl;
    const HttpRequest *request;
    BodySink *sink;
    HttpResponse *response;
    std::exception_ptr error; // thrown by the sink, rethrown after curl returns
    bool cancelled = false;
    bool status_sent = false;
    int status = 0;
    // Of the current response's header block: what tells where its body ends.
    bool http1 = false;
    bool length_known = false;
    bool chunked = false;
};

void capture(Transfer &t) noexcept {
    if (!t.error)
        t.error = std::current_exception();
}

// Calls should_cancel; an exception from it is kept like a sink's.
bool cancel_requested(Transfer &t) noexcept {
    if (t.cancelled)
        return true;
    try {
        if (t.request->should_cancel && t.request->should_cancel())
            t.cancelled = true;
    } catch (...) {
        capture(t);
        t.cancelled = true;
    }
    return t.cancelled;
}

void send_status(Transfer &t) {
    if (t.status_sent)
        return;
    t.status_sent = true;
    t.response->status = t.status;
    t.response->body_end =
        t.http1 && !t.length_known && !t.chunked ? BodyEnd::ConnectionClosed : BodyEnd::Marked;
    t.response->received_at = std::chrono::system_clock::now();
    t.sink->on_status(t.status);
}

std::size_t on_header(char *data, std::size_t size, std::size_t count, void *user) noexcept {
    auto &t = *static_cast<Transfer *>(user);
    const std::size_t n = size * count;
    try {
        std::string line(data, n);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.pop_back();
        if (line.rfind("HTTP/", 0) == 0) { // a new response (e.g. after 100 Continue)
            const std::size_t sp = line.find(' ');
            t.status = sp == std::string::npos ? 0 : std::atoi(line.c_str() + sp + 1);
            t.http1 = line.rfind("HTTP/1.", 0) == 0;
            t.length_known = false;
            t.chunked = false;
            t.response->retry_after.clear();
            t.response->location.clear();
            return n;
        }
        if (line.empty()) { // end of a header block
            if (t.status >= 200)
                send_status(t);
            return n;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string::npos)
            return n;
        const std::string name = ascii_lowercase(std::string_view(line).substr(0, colon));
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        if (name == "retry-after")
            t.response->retry_after = value;
        else if (name == "content-type")
            t.response->content_type = value;
        else if (name == "x-socrata-requestid")
            t.response->request_id = value;
        else if (name == "location")
            t.response->location = value;
        else if (name == "content-length")
            t.length_known = true;
        else if (name == "transfer-encoding")
            t.chunked = find_ignoring_case(value, "chunked") != std::string_view::npos;
        t.sink->on_header(name, value);
        return n;
    } catch (...) {
        capture(t);
        return 0; // aborts the transfer
    }
}

std::size_t on_body(char *data, std::size_t size, std::size_t count, void *user) noexcept {
    auto &t = *static_cast<Transfer *>(user);
    const std::size_t n = size * count;
    try {
        if (cancel_requested(t))
            return 0;
        send_status(t); // in case the header block end was not seen (HTTP/0.9 and such)
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
    return cancel_requested(t) || t.error ? 1 : 0;
}

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The URL without its query string, for the primary message (the full one goes in detail).
std::string short_url(const std::string &url) {
    const std::size_t q = url.find('?');
    return q == std::string::npos ? url : url.substr(0, q) + "?...";
}

// Transport failures the same request meets again: retrying them only delays the error. (Not
// CURLE_UNSUPPORTED_PROTOCOL: libcurl also gives it for a garbled status line, "Received
// HTTP/0.9", which a retry on a new connection may not meet.)
bool fails_again(CURLcode rc) {
    switch (rc) {
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return true;
    default:
        return false;
    }
}

struct HeaderList {
    curl_slist *list = nullptr;
    ~HeaderList() { curl_slist_free_all(list); }
};

// The transfer's options: the URL, timeouts, keep-alive, gzip, and the callbacks that feed `t`.
void set_transfer_options(CURL *curl, const HttpRequest &request, Transfer &t) {
    curl_easy_reset(curl); // options only: the connection cache lives in the multi handle
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075700
    // A cancelled transfer must not wait for the threaded resolver's getaddrinfo() (about 10 s
    // with a DNS server that does not answer): forget the thread, which ends on its own.
    curl_easy_setopt(curl, CURLOPT_QUICK_EXIT, 1L);
#endif
    curl_easy_setopt(curl, CURLOPT_USERAGENT, kUserAgent);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    // Behind a proxy (https_proxy in the server's environment), the answer to CONNECT is the
    // proxy's, not the portal's: its "200 Connection established" would be taken as the status.
    curl_easy_setopt(curl, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 60L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 30L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(request.connect_timeout_ms));
    if (request.low_speed_time_s > 0) {
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.low_speed_time_s));
    }
    if (request.accept_gzip)
        curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
    // Reads of up to 120 kB instead of libcurl's 16 kB: a 4 MB page was some 250 receive
    // calls, polls and decoder calls (a recv returns what has arrived; it does not wait to fill).
    // Under glibc's mmap threshold (fixed at 128 kB, malloc_policy.hpp): libcurl allocates the
    // buffer for each transfer, and a mapped one (256 kB) cost 64 page faults per page fetched.
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 120L * 1024);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
}

// Runs the transfer until it is done, fails, or is cancelled (checked at least every kPollMs).
// Returns the multi interface's status; `rc` gets the transfer's own result once it is done.
CURLMcode run_transfer(CURLM *multi, CURL *curl, Transfer &t, CURLcode &rc) {
    rc = CURLE_OK;
    CURLMcode mrc = curl_multi_add_handle(multi, curl);
    const AsyncSignalsBlocked blocked_while_transferring; // see AsyncSignalsBlocked
    bool finished = false;
    while (mrc == CURLM_OK) {
        int running = 0;
        mrc = curl_multi_perform(multi, &running);
        int queued = 0;
        while (CURLMsg *msg = curl_multi_info_read(multi, &queued)) {
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == curl) {
                rc = msg->data.result;
                finished = true;
            }
        }
        if (finished || mrc != CURLM_OK || cancel_requested(t) || t.error)
            break;
        // Signals come through while waiting, so a cancel is seen on the next turn.
        blocked_while_transferring.unblocked(
            [&] { mrc = curl_multi_poll(multi, nullptr, 0, kPollMs, nullptr); });
    }
    curl_multi_remove_handle(multi, curl); // aborts the transfer if it is still running
    return mrc;
}

// What the transfer received, and its status if no header block ended (send_status).
void record_transfer(CURL *curl, HttpResponse &response) {
    curl_off_t downloaded = 0;
    curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &downloaded);
    long header_bytes = 0;
    curl_easy_getinfo(curl, CURLINFO_HEADER_SIZE, &header_bytes);
    response.bytes_received =
        static_cast<std::uint64_t>(downloaded) + static_cast<std::uint64_t>(header_bytes);
    double seconds = 0;
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &seconds);
    response.seconds = seconds;
    if (response.status == 0) {
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        response.status = static_cast<int>(status);
    }
}

} // namespace

HttpClient::HttpClient() {
    global_init();
    curl_ = curl_easy_init();
    multi_ = curl_multi_init();
    if (!curl_ || !multi_) {
        if (curl_)
            curl_easy_cleanup(static_cast<CURL *>(curl_));
        if (multi_)
            curl_multi_cleanup(static_cast<CURLM *>(multi_));
        throw Error(ErrorKind::Network, "could not initialise libcurl");
    }
}

HttpClient::~HttpClient() {
    curl_easy_cleanup(static_cast<CURL *>(curl_));
    curl_multi_cleanup(static_cast<CURLM *>(multi_));
}

HttpResponse HttpClient::perform(const HttpRequest &request, BodySink &sink) {
    CURL *curl = static_cast<CURL *>(curl_);
    HttpResponse response;
    Transfer t{curl, &request, &sink, &response, nullptr};
    const std::string shown_url = redact(request.url);
    set_transfer_options(curl, request, t);

    HeaderList headers;
    for (const auto &h : request.headers) {
        curl_slist *next = curl_slist_append(headers.list, h.c_str());
        if (!next)
            throw std::bad_alloc();
        headers.list = next;
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
    char error_buffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);

    CURLcode rc = CURLE_OK;
    const CURLMcode mrc = run_transfer(static_cast<CURLM *>(multi_), curl, t, rc);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
    record_transfer(curl, response);

    if (t.error)
        std::rethrow_exception(t.error);
    if (t.cancelled)
        throw Error(ErrorKind::Cancelled, "HTTP request to " + short_url(shown_url) + " cancelled",
                    "URL: " + shown_url + ".");
    if (mrc != CURLM_OK)
        throw Error(ErrorKind::Network,
                    "HTTP request to " + short_url(shown_url) +
                        " failed: " + curl_multi_strerror(mrc),
                    "URL: " + shown_url + ".");
    if (rc != CURLE_OK) {
        const std::string reason = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
        std::string message =
            "HTTP request to " + short_url(shown_url) + " failed: " + redact(reason);
        std::string detail =
            "URL: " + shown_url + ". libcurl error " + std::to_string(int(rc)) + ".";
        if (fails_again(rc))
            throw Error::lasting_network(message, std::move(detail));
        throw Error(ErrorKind::Network, message, std::move(detail));
    }
    return response;
}

} // namespace socrata
