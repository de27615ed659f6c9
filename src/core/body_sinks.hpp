// Ready-made BodySinks. The body of a failed request is wanted only for its error message,
// so it is kept up to a cap (64 KB) rather than streamed into a row decoder.
#pragma once

#include "http_client.hpp"

#include <algorithm>
#include <cstddef>
#include <functional>
#include <string>

namespace socrata {

constexpr std::size_t kErrorBodyCapBytes = 64 * 1024;

// Keeps the first `cap` bytes of a body; the rest is counted and dropped.
class CappedBodySink : public BodySink {
  public:
    explicit CappedBodySink(std::size_t cap = kErrorBodyCapBytes) : cap_(cap) {}

    void on_status(int status) override { status_ = status; }
    void on_body(const char *data, std::size_t size) override {
        total_ += size;
        if (body_.size() < cap_)
            body_.append(data, std::min(size, cap_ - body_.size()));
    }

    int status() const noexcept { return status_; }
    const std::string &body() const noexcept { return body_; }
    bool truncated() const noexcept { return total_ > body_.size(); }

  private:
    std::size_t cap_;
    int status_ = 0;
    std::size_t total_ = 0;
    std::string body_;
};

// Streams the body of a success (2xx other than 202, which is Socrata's "still processing")
// to `on_success`, and keeps the body of anything else, capped, for the error message.
class SuccessOrErrorSink : public BodySink {
  public:
    using Consumer = std::function<void(const char *, std::size_t)>;

    explicit SuccessOrErrorSink(Consumer on_success, std::size_t error_cap = kErrorBodyCapBytes)
        : on_success_(std::move(on_success)), error_(error_cap) {}

    static bool is_success(int status) noexcept {
        return status >= 200 && status < 300 && status != 202;
    }

    void on_status(int status) override {
        status_ = status;
        error_.on_status(status);
    }
    void on_body(const char *data, std::size_t size) override {
        if (is_success(status_))
            on_success_(data, size);
        else
            error_.on_body(data, size);
    }

    int status() const noexcept { return status_; }
    const std::string &error_body() const noexcept { return error_.body(); }

  private:
    Consumer on_success_;
    CappedBodySink error_;
    int status_ = 0;
};

} // namespace socrata
