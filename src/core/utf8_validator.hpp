// Incremental UTF-8 validation for push decoders: a multi-byte sequence may be split across
// feed() calls, so the validator carries the bytes still expected and the range the next one
// must fall in (which is how overlong forms and UTF-16 surrogates are rejected).
#pragma once

#include <cstdint>

namespace socrata {

class Utf8Validator {
  public:
    bool in_sequence() const noexcept { return need_ != 0; }

    // Accepts the next byte of text; returns false if it makes the text invalid UTF-8.
    bool push(unsigned char c) noexcept {
        if (need_ != 0) {
            if (c < lo_ || c > hi_)
                return false;
            lo_ = 0x80;
            hi_ = 0xBF;
            --need_;
            return true;
        }
        if (c < 0x80)
            return true;
        lo_ = 0x80;
        hi_ = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            need_ = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need_ = 2;
            if (c == 0xE0)
                lo_ = 0xA0; // overlong
            else if (c == 0xED)
                hi_ = 0x9F; // surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            need_ = 3;
            if (c == 0xF0)
                lo_ = 0x90; // overlong
            else if (c == 0xF4)
                hi_ = 0x8F; // > U+10FFFF
        } else {
            return false;
        }
        return true;
    }

    void reset() noexcept { need_ = 0; }

  private:
    std::uint8_t need_ = 0;
    std::uint8_t lo_ = 0x80;
    std::uint8_t hi_ = 0xBF;
};

} // namespace socrata
