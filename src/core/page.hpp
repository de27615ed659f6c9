// One page of rows, decoded and held until the executor has turned each into a tuple. Pages are
// the only place rows are buffered, and a scan holds two (the one being read and the next), so
// memory is bounded by two pages, whatever the dataset size.
// Values are stored NUL-terminated in one arena, so a page costs a few allocations, not one
// per value, and the arena's capacity is reused from page to page.
#pragma once

#include "byte_buffer.hpp"
#include "row_view.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace socrata {

class Page {
  public:
    void reset(std::size_t slots) {
        slots_ = slots;
        rows_ = 0;
        arena_.clear();
        // bounds_ and kinds_ keep their size: a row's entries are written over, never zeroed
        // first (the per-row resize's fill was a visible share of a full-row scan's fetch).
        // bounds_[0] is always 0 (append never writes it), once a moved-from page has one.
        if (bounds_.empty())
            bounds_.push_back(0);
    }

    // Makes room for `rows` rows holding about `bytes` bytes of values, before a page is
    // filled: growing by doubling would copy what the page holds at each step and touch fresh
    // memory twice, which costs a fetch about 10 ms per 10,000-row page (docs/benchmark.md).
    // Each part is capped at kMaxReserveBytes; a bigger page grows as it fills. Reserved
    // memory that no row reaches is never touched, so it takes no physical memory.
    void reserve(std::size_t rows, std::size_t bytes);
    static constexpr std::size_t kMaxReserveBytes = 32u << 20;

    // Copies a decoded row in (called from the decoder's callback).
    void append(const RowView &row);

    std::size_t rows() const noexcept { return rows_; }
    std::size_t slots() const noexcept { return slots_; }

    ValueKind kind(std::size_t row, std::size_t slot) const noexcept {
        return kinds_[row * slots_ + slot];
    }
    // NUL-terminated text of a value (empty for null).
    const char *c_str(std::size_t row, std::size_t slot) const noexcept {
        return arena_.data() + bounds_[row * slots_ + slot];
    }
    std::string_view text(std::size_t row, std::size_t slot) const noexcept {
        std::size_t value = row * slots_ + slot;
        return {arena_.data() + bounds_[value], bounds_[value + 1] - bounds_[value] - 1};
    }

    // Bytes held, for memory accounting.
    std::size_t capacity_bytes() const noexcept {
        return arena_.capacity() + bounds_.capacity() * sizeof(std::uint32_t) + kinds_.capacity();
    }

  private:
    std::size_t slots_ = 0;
    std::size_t rows_ = 0;
    ByteBuffer arena_;
    // Five bytes per value besides its text, where an offset, a length and a kind took twelve:
    // at 10,000 rows of 20 values that is 1.4 MB less per page, and a scan holds two pages.
    // Value i starts at bounds_[i] and its NUL ends just before bounds_[i + 1]. Only the first
    // rows_ * slots_ (+ 1) entries are the page's; the rest are left from earlier pages.
    std::vector<std::uint32_t> bounds_{0};
    std::vector<ValueKind> kinds_;
};

} // namespace socrata
