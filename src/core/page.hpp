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
        arena_.push_back('\0'); // what every null value's c_str() points at
        // spans_ and kinds_ keep their size: a row's entries are written over, never zeroed
        // first (the per-row resize's fill was a visible share of a full-row scan's fetch).
    }

    // Makes room for `rows` rows holding about `bytes` bytes of values, before a page is
    // filled: growing by doubling would copy what the page holds at each step and touch fresh
    // memory twice, which costs a fetch about 10 ms per 10,000-row page (docs/benchmark.md).
    // Each part is capped at kMaxReserveBytes; a bigger page grows as it fills. Reserved
    // memory that no row reaches is never touched, so it takes no physical memory.
    void reserve(std::size_t rows, std::size_t bytes);
    static constexpr std::size_t kMaxReserveBytes = 32u << 20;

    // Copies a decoded row in (called from the decoder's callback): its block at once if it
    // has one (RowView::block), else value by value.
    void append(const RowView &row);

    std::size_t rows() const noexcept { return rows_; }
    std::size_t slots() const noexcept { return slots_; }

    ValueKind kind(std::size_t row, std::size_t slot) const noexcept {
        return kinds_[row * slots_ + slot];
    }
    // NUL-terminated text of a value (empty for null).
    const char *c_str(std::size_t row, std::size_t slot) const noexcept {
        return arena_.data() + spans_[row * slots_ + slot].offset;
    }
    std::string_view text(std::size_t row, std::size_t slot) const noexcept {
        const Span &span = spans_[row * slots_ + slot];
        return {arena_.data() + span.offset, span.length};
    }

    // Bytes held, for memory accounting.
    std::size_t capacity_bytes() const noexcept {
        return arena_.capacity() + spans_.capacity() * sizeof(Span) + kinds_.capacity();
    }

  private:
    // Where a value's text lies in arena_ (a NUL follows it there).
    struct Span {
        std::uint32_t offset;
        std::uint32_t length;
    };
    // Makes room for one more row's spans and kinds; returns the index of its first value.
    std::size_t add_row_entries();
    // Throws if a page's values would pass the 4 GB that 32-bit offsets reach.
    void check_arena_size(std::size_t bytes) const;

    std::size_t slots_ = 0;
    std::size_t rows_ = 0;
    ByteBuffer arena_;
    // Nine bytes per value besides its text. Values need not lie in slot order in arena_ (a
    // row's block keeps the order its fields came in), so each has its offset and length.
    // Only the first rows_ * slots_ entries are the page's; the rest are left from earlier
    // pages.
    std::vector<Span> spans_;
    std::vector<ValueKind> kinds_;
};

} // namespace socrata
