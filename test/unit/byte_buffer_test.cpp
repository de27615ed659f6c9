#include "byte_buffer.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace socrata;

TEST(ByteBuffer, CopyBytesCopiesExactlyTheBytesAskedFor) {
    // Every length across the word-move cases (below 4, 4-7, 8-16) and the memcpy case, at
    // every alignment: the n bytes arrive, and not one byte around them changes.
    std::string source(80, '\0');
    for (std::size_t i = 0; i < source.size(); ++i)
        source[i] = static_cast<char>('A' + i % 50);
    for (std::size_t n = 0; n <= 40; ++n) {
        for (std::size_t at = 0; at < 8; ++at) {
            std::string target(64, '.');
            copy_bytes(&target[at + 4], source.data() + at, n);
            std::string expected(64, '.');
            expected.replace(at + 4, n, source, at, n);
            ASSERT_EQ(target, expected) << n << " " << at;
        }
    }
}

TEST(ByteBuffer, AppendKeepsEverythingAcrossGrowth) {
    ByteBuffer buffer;
    std::string expected;
    for (std::size_t n = 0; n < 300; ++n) {
        const std::string piece(n % 37, static_cast<char>('a' + n % 26));
        buffer.append(piece.data(), piece.size());
        expected += piece;
    }
    buffer.append(nullptr, 0);
    EXPECT_EQ(buffer.view(), expected);
}
