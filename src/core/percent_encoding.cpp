#include "percent_encoding.hpp"

namespace socrata {

namespace {

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

} // namespace

void append_percent_encoded(std::string &out, std::string_view value) {
    static const char kHex[] = "0123456789ABCDEF";
    for (char ch : value) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out += char(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        }
    }
}

std::size_t percent_encoded_size(std::string_view value) noexcept {
    std::size_t size = 0;
    for (char ch : value)
        size += is_unreserved(static_cast<unsigned char>(ch)) ? 1 : 3;
    return size;
}

std::string percent_encode(std::string_view value) {
    std::string out;
    out.reserve(value.size() * 3);
    append_percent_encoded(out, value);
    return out;
}

} // namespace socrata
