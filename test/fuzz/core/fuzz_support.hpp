// Shared helpers for the libFuzzer harnesses of src/core (test/fuzz/core/*_fuzz.cpp).
// A harness checks a property with FUZZ_CHECK: a failed check prints what failed and aborts,
// which libFuzzer reports as a crash (with the input saved).
#pragma once

#include "error.hpp"
#include "row_view.hpp"
#include "utf8_validator.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz {

[[noreturn]] inline void check_failed(const char *cond, const char *file, int line,
                                      const std::string &why) {
    std::fprintf(stderr, "\nFUZZ_CHECK failed: %s\n  at %s:%d\n  %s\n", cond, file, line,
                 why.c_str());
    std::abort();
}

#define FUZZ_CHECK(cond, why)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ::fuzz::check_failed(#cond, __FILE__, __LINE__, (why));                                \
    } while (0)

// Whole-string UTF-8 validity, with the same rules as the decoders' Utf8Validator.
inline bool valid_utf8(std::string_view s) {
    socrata::Utf8Validator v;
    for (char c : s)
        if (!v.push(static_cast<unsigned char>(c)))
            return false;
    return !v.in_sequence();
}

// Reads every byte of `text`, so that ASan reports a view pointing outside its buffer.
inline void touch_every_byte(std::string_view text) {
    volatile unsigned sum = 0;
    for (char c : text)
        sum = sum + static_cast<unsigned char>(c);
    (void)sum;
}

// Reads bytes off the front of the fuzzer's input.
class Input {
  public:
    Input(const std::uint8_t *data, std::size_t size)
        : p_(reinterpret_cast<const char *>(data)), n_(size) {}
    std::size_t left() const { return n_; }
    std::uint8_t byte() {
        if (n_ == 0)
            return 0;
        --n_;
        return static_cast<std::uint8_t>(*p_++);
    }
    // A string of up to max bytes, length from one byte, or everything left when `rest`.
    std::string_view take(std::size_t n) {
        n = n < n_ ? n : n_;
        std::string_view s(p_, n);
        p_ += n;
        n_ -= n;
        return s;
    }
    std::string_view sized(std::size_t max = 255) { return take(std::size_t(byte()) % (max + 1)); }
    std::string_view rest() { return take(n_); }

  private:
    const char *p_;
    std::size_t n_;
};

// `count` chunk sizes for feed_in_chunks, one input byte each: mostly tiny (0-8 bytes, so that
// chunk boundaries fall inside tokens), sometimes up to 255.
inline std::vector<std::size_t> chunk_sizes(Input &in, int count) {
    std::vector<std::size_t> sizes;
    for (int i = 0; i < count; ++i) {
        const std::uint8_t b = in.byte();
        sizes.push_back(b < 128 ? b % 9 : b);
    }
    return sizes;
}

// Feeds `body` to `feed(ptr, n)` in chunks whose sizes cycle through `sizes` (0 allowed, so
// empty feeds happen too; an all-zero list is one piece). Each chunk is copied into its own
// heap block of exactly its size, freed right after the call, so that ASan sees any read past
// a chunk's end and any pointer the decoder keeps into an earlier chunk.
template <class Feed>
void feed_in_chunks(std::string_view body, const std::vector<std::size_t> &sizes, Feed &&feed) {
    bool any = false;
    for (std::size_t s : sizes)
        any = any || s != 0;
    if (!any) {
        std::unique_ptr<char[]> copy(new char[body.size() ? body.size() : 1]);
        if (!body.empty())
            std::memcpy(copy.get(), body.data(), body.size());
        feed(copy.get(), body.size());
        return;
    }
    std::size_t pos = 0, i = 0;
    while (pos < body.size()) {
        std::size_t n = sizes[i++ % sizes.size()];
        if (n > body.size() - pos)
            n = body.size() - pos;
        std::unique_ptr<char[]> copy(new char[n ? n : 1]);
        if (n)
            std::memcpy(copy.get(), body.data() + pos, n);
        feed(copy.get(), n);
        pos += n;
    }
}

struct Cell {
    socrata::ValueKind kind;
    std::string text;
    bool operator==(const Cell &o) const { return kind == o.kind && text == o.text; }
    bool operator!=(const Cell &o) const { return !(*this == o); }
};
using Rows = std::vector<std::vector<Cell>>;

inline std::string show(const Rows &rows) {
    std::string out;
    for (const auto &r : rows) {
        out += "[";
        for (const auto &c : r)
            out += std::string(socrata::to_string(c.kind)) + ":" + c.text + " | ";
        out += "]\n";
    }
    return out;
}

} // namespace fuzz
