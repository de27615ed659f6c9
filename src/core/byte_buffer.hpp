// A growable byte buffer with an inline append: the decoders append every wanted value to one
// of these per row, and std::string::append's out-of-line call was a visible share of a bulk
// load. Capacity is kept across clear(), so the steady state allocates nothing. A Page's values
// live in one too, filled through extend() without first zeroing what is about to be copied in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace socrata {

// Copies n bytes between buffers that do not overlap. Up to 16 bytes, the size of most decoded
// values, take two overlapping loads and stores instead of a call to memcpy, which was a tenth
// of a full-row scan's fetch thread (a call per value, twice: into the row, into the page).
inline void copy_bytes(char *dst, const char *src, std::size_t n) noexcept {
    if (n >= 8 && n <= 16) {
        std::uint64_t head, tail;
        std::memcpy(&head, src, 8);
        std::memcpy(&tail, src + n - 8, 8);
        std::memcpy(dst, &head, 8);
        std::memcpy(dst + n - 8, &tail, 8);
    } else if (n >= 4 && n < 8) {
        std::uint32_t head, tail;
        std::memcpy(&head, src, 4);
        std::memcpy(&tail, src + n - 4, 4);
        std::memcpy(dst, &head, 4);
        std::memcpy(dst + n - 4, &tail, 4);
    } else if (n < 4) {
        for (std::size_t i = 0; i < n; ++i)
            dst[i] = src[i];
    } else {
        std::memcpy(dst, src, n);
    }
}

class ByteBuffer {
  public:
    ByteBuffer() = default;
    ByteBuffer(const ByteBuffer &) = delete;
    ByteBuffer &operator=(const ByteBuffer &) = delete;
    ByteBuffer(ByteBuffer &&other) noexcept
        : data_(other.data_), size_(other.size_), cap_(other.cap_) {
        other.data_ = nullptr;
        other.size_ = other.cap_ = 0;
    }
    ByteBuffer &operator=(ByteBuffer &&other) noexcept {
        if (this != &other) {
            std::free(data_);
            data_ = other.data_;
            size_ = other.size_;
            cap_ = other.cap_;
            other.data_ = nullptr;
            other.size_ = other.cap_ = 0;
        }
        return *this;
    }
    ~ByteBuffer() { std::free(data_); }

    // Inlined: the decoders call it for every value.
    [[gnu::always_inline]] void append(const char *p, std::size_t n) {
        if (n > cap_ - size_)
            grow(n);
        copy_bytes(data_ + size_, p, n); // n == 0 (and a null source) copies nothing
        size_ += n;
    }
    void push_back(char c) {
        if (size_ == cap_)
            grow(1);
        data_[size_++] = c;
    }
    // n more bytes at the end, uninitialized, for the caller to fill.
    char *extend(std::size_t n) {
        if (n > cap_ - size_)
            grow(n);
        char *p = data_ + size_;
        size_ += n;
        return p;
    }
    // Room for `cap` bytes in all (never shrinks).
    void reserve(std::size_t cap) {
        if (cap > cap_)
            reallocate(cap);
    }
    void clear() noexcept { size_ = 0; }
    std::size_t capacity() const noexcept { return cap_; }
    std::size_t size() const noexcept { return size_; }
    const char *data() const noexcept { return data_; }
    std::string_view view() const noexcept { return {data_, size_}; }

  private:
    void grow(std::size_t extra) {
        std::size_t cap = cap_ < 256 ? 256 : cap_ * 2;
        while (cap - size_ < extra)
            cap *= 2;
        reallocate(cap);
    }
    void reallocate(std::size_t cap) {
        char *p = static_cast<char *>(std::realloc(data_, cap));
        if (p == nullptr)
            throw std::bad_alloc();
        data_ = p;
        cap_ = cap;
    }

    char *data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t cap_ = 0;
};

} // namespace socrata
