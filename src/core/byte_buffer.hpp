// A growable byte buffer with an inline append: the decoders append every wanted value to one
// of these per row, and std::string::append's out-of-line call was a visible share of a bulk
// load. Capacity is kept across clear(), so the steady state allocates nothing.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace socrata {

class ByteBuffer {
  public:
    ByteBuffer() = default;
    ByteBuffer(const ByteBuffer &) = delete;
    ByteBuffer &operator=(const ByteBuffer &) = delete;
    ~ByteBuffer() { std::free(data_); }

    void append(const char *p, std::size_t n) {
        if (n > cap_ - size_)
            grow(n);
        if (n != 0) // memcpy from a null source is undefined even for n == 0
            std::memcpy(data_ + size_, p, n);
        size_ += n;
    }
    void push_back(char c) {
        if (size_ == cap_)
            grow(1);
        data_[size_++] = c;
    }
    void clear() noexcept { size_ = 0; }
    std::size_t size() const noexcept { return size_; }
    const char *data() const noexcept { return data_; }
    std::string_view view() const noexcept { return {data_, size_}; }

  private:
    void grow(std::size_t extra) {
        std::size_t cap = cap_ < 256 ? 256 : cap_ * 2;
        while (cap - size_ < extra)
            cap *= 2;
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
