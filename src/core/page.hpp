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
        offsets_.clear();
        kinds_.clear();
    }

    // Copies a decoded row in (called from the decoder's callback).
    void append(const RowView &row);

    std::size_t rows() const noexcept { return rows_; }
    std::size_t slots() const noexcept { return slots_; }

    ValueKind kind(std::size_t row, std::size_t slot) const noexcept {
        return kinds_[row * slots_ + slot];
    }
    // NUL-terminated text of a value (empty for null).
    const char *c_str(std::size_t row, std::size_t slot) const noexcept {
        return arena_.data() + offsets_[row * slots_ + slot];
    }
    std::string_view text(std::size_t row, std::size_t slot) const noexcept {
        const std::size_t cell = row * slots_ + slot;
        // Values are stored one after the other, each followed by its NUL: a value ends one
        // byte before the next one starts.
        const std::size_t end = cell + 1 < offsets_.size() ? offsets_[cell + 1] : arena_.size();
        return {arena_.data() + offsets_[cell], end - offsets_[cell] - 1};
    }

    // Bytes held, for memory accounting.
    std::size_t capacity_bytes() const noexcept {
        return arena_.capacity() + offsets_.capacity() * sizeof(std::uint32_t) +
               kinds_.capacity() * sizeof(ValueKind);
    }

  private:
    // Per value (row-major): where its text starts in the arena, and its kind. Five bytes a
    // value; the length follows from the next value's offset.
    std::size_t slots_ = 0;
    std::size_t rows_ = 0;
    std::string arena_;
    std::vector<std::uint32_t> offsets_;
    std::vector<ValueKind> kinds_;
};

} // namespace socrata
