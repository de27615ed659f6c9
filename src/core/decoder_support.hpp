// What JsonRowDecoder and CsvRowDecoder share about reporting: the Socrata error object a body
// may be instead of rows, the sentences their error details end with, the size-limit message and
// the refusal to go on after an error. Only ErrorObjectBody::append runs while decoding (once per
// chunk of an error body); everything else runs on the way to a throw, so it may allocate.
// Header-only so that bench/decoder_bench.cpp's one-line build of the decoders still links.
#pragma once

#include "error.hpp"
#include "soda_error.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace socrata {

// Appends `sentence` to an error detail, one space after what is already there. An empty
// sentence adds nothing, so an optional one (response_from("")) needs no test at the caller.
inline void add_sentence(std::string &detail, std::string_view sentence) {
    if (sentence.empty())
        return;
    if (!detail.empty())
        detail += ' ';
    detail += sentence;
}

// The sentence that names where a body came from (its redacted URL), or "" if unknown.
inline std::string response_from(const std::string &source) {
    return source.empty() ? std::string() : "Response from " + source + ".";
}

// "value larger than 64 MB": `what` is "value", "row" or "header field", `limit` a
// DecoderLimits size in bytes, named in whole MB (the limits are tens of MB).
inline std::string too_large(const char *what, std::size_t limit) {
    return std::string(what) + " larger than " + std::to_string(limit >> 20) + " MB";
}

// A decoder stops at its first error, in whatever state it was: decoding on from there would
// make rows out of the wrong bytes. `decoder` is "JSON" or "CSV".
[[noreturn]] inline void throw_used_after_error(const char *decoder) {
    throw Error(ErrorKind::Internal,
                std::string(decoder) + " row decoder used again after it reported an error");
}

// A body that starts with '{' is a Socrata error object, not rows. The decoders keep its start
// (its code and message come first, and a proxy's HTML page can be any size) and report it
// from finish(), once the whole body has been seen.
class ErrorObjectBody {
  public:
    static constexpr std::size_t kCap = 64 * 1024;

    void append(const char *p, std::size_t n) {
        if (body_.size() < kCap)
            body_.append(p, std::min(n, kCap - body_.size()));
    }

    // "Socrata returned an error object instead of <rows>: <its message>", its code and the
    // body's `source` in the detail. `rows` is what the body should have held ("CSV rows").
    Error to_error(const char *rows, const std::string &source) const {
        const SodaError e = parse_soda_error(body_);
        std::string detail = e.code.empty() ? std::string() : "Socrata error code: " + e.code + ".";
        add_sentence(detail, response_from(source));
        return Error(ErrorKind::BadResponse,
                     "Socrata returned an error object instead of " + std::string(rows) + ": " +
                         e.message,
                     std::move(detail));
    }

  private:
    std::string body_;
};

} // namespace socrata
