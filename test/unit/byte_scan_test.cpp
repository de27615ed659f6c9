#include "byte_scan.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

using namespace socrata;

namespace {

// The byte-by-byte definitions the scanners must agree with.
const char *json_special_reference(const char *p, const char *end) {
    for (; p < end; ++p) {
        const unsigned char c = static_cast<unsigned char>(*p);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            return p;
    }
    return end;
}

const char *csv_unquoted_reference(const char *p, const char *end, unsigned char delimiter) {
    for (; p < end; ++p) {
        const unsigned char c = static_cast<unsigned char>(*p);
        if (c == delimiter || c == '"' || c == '\r' || c == '\n' || c == 0 || c >= 0x80)
            return p;
    }
    return end;
}

const char *csv_quoted_reference(const char *p, const char *end) {
    for (; p < end; ++p) {
        const unsigned char c = static_cast<unsigned char>(*p);
        if (c == '"' || c == 0 || c >= 0x80)
            return p;
    }
    return end;
}

} // namespace

TEST(ByteScan, ScannersFindTheFirstSpecialByteWherever) {
    // Every byte value at every place of texts long enough for the 16- and 8-byte steps and
    // their tails, once alone and once followed by a second special byte: the scanners must
    // stop exactly where the byte-by-byte definition does.
    for (std::size_t length = 0; length <= 40; ++length) {
        for (std::size_t at = 0; at <= length; ++at) {
            for (int b = 0; b < 256; ++b) {
                std::string text(length + 1, 'a');
                if (at < length)
                    text[at] = static_cast<char>(b);
                if (at + 3 < length)
                    text[at + 3] = '"';
                const char *p = text.data();
                const char *end = p + length;
                ASSERT_EQ(find_json_string_special(p, end), json_special_reference(p, end))
                    << length << " " << at << " " << b;
                ASSERT_EQ(find_csv_unquoted_special(p, end, ','),
                          csv_unquoted_reference(p, end, ','))
                    << length << " " << at << " " << b;
                ASSERT_EQ(find_csv_quoted_special(p, end), csv_quoted_reference(p, end))
                    << length << " " << at << " " << b;
            }
        }
    }
}

TEST(ByteScan, NothingPastTheEndIsRead) {
    // The text ends where an unreadable page begins: a scanner that loads a byte past end
    // (a 16- or 8-byte step taken too far) crashes this test instead of passing by luck.
    const long page = sysconf(_SC_PAGESIZE);
    char *pages = static_cast<char *>(
        mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(pages, MAP_FAILED);
    ASSERT_EQ(mprotect(pages + page, page, PROT_NONE), 0);
    for (std::size_t length = 0; length <= 40; ++length) {
        char *end = pages + page;
        char *p = end - length;
        std::memset(p, 'x', length);
        EXPECT_EQ(find_json_string_special(p, end), end) << length;
        EXPECT_EQ(find_csv_unquoted_special(p, end, ','), end) << length;
        EXPECT_EQ(find_csv_quoted_special(p, end), end) << length;
        if (length > 0) {
            end[-1] = '"'; // the last byte is found, from every start
            EXPECT_EQ(find_json_string_special(p, end), end - 1) << length;
            EXPECT_EQ(find_csv_unquoted_special(p, end, ','), end - 1) << length;
            EXPECT_EQ(find_csv_quoted_special(p, end), end - 1) << length;
        }
    }
    munmap(pages, 2 * page);
}

TEST(SameBytes, FindsADifferenceAtEveryPositionOfEveryLength) {
    // Word loads with an overlapping last one: each length class (under 4, 4 to 7, 8 and up)
    // must see a difference wherever it is.
    const std::string base = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (std::size_t n = 0; n <= 24; ++n) {
        EXPECT_TRUE(same_bytes(base.data(), std::string(base).data(), n)) << n;
        for (std::size_t at = 0; at < n; ++at) {
            std::string other = base;
            other[at] = '#';
            EXPECT_FALSE(same_bytes(base.data(), other.data(), n)) << n << " " << at;
        }
        // A difference just past the n bytes does not count.
        std::string longer = base;
        longer[n] = '#';
        EXPECT_TRUE(same_bytes(base.data(), longer.data(), n)) << n;
    }
}
