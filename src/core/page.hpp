// One page of rows, decoded and held until the executor has turned each into a tuple. This is
// the only place rows are buffered, so memory is bounded by one page, whatever the dataset size.
// Values are stored NUL-terminated in one arena, so a page costs a few allocations, not one
// per value, and the arena's capacity is reused from page to page.
#pragma once

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
        cells_.clear();
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
        return cells_[row * slots_ + slot].kind;
    }
    // NUL-terminated text of a value (empty for null).
    const char *c_str(std::size_t row, std::size_t slot) const noexcept {
        return arena_.data() + cells_[row * slots_ + slot].offset;
    }
    std::string_view text(std::size_t row, std::size_t slot) const noexcept {
        const Cell &c = cells_[row * slots_ + slot];
        return {arena_.data() + c.offset, c.length};
    }

    // Bytes held, for memory accounting.
    std::size_t capacity_bytes() const noexcept {
        return arena_.capacity() + cells_.capacity() * sizeof(Cell);
    }

  private:
    struct Cell {
        std::uint32_t offset;
        std::uint32_t length;
        ValueKind kind;
    };

    std::size_t slots_ = 0;
    std::size_t rows_ = 0;
    std::string arena_;
    std::vector<Cell> cells_;
};

} // namespace socrata
