// What the row decoders hand to their callback: one row as a set of slot values that point into
// the decoder's own row buffer. Views are valid only during the callback, which is what lets the
// decoders reuse one buffer for every row instead of allocating per value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace socrata {

// The JSON kind of a value, so the caller can reject e.g. an object where it wanted a number.
// CSV has no kinds: its values are always String.
enum class ValueKind : std::uint8_t { Null, String, Number, Bool, Object, Array };

const char *to_string(ValueKind kind) noexcept;

struct FieldValue {
    ValueKind kind = ValueKind::Null;
    // String: unescaped UTF-8. Number: the literal as sent. Bool: "true"/"false".
    // Object/Array: compact raw JSON text (whitespace outside strings dropped). Null: empty.
    std::string_view text;

    bool is_null() const noexcept { return kind == ValueKind::Null; }
};

class RowView {
  public:
    RowView(const FieldValue *values, std::size_t count, std::uint64_t row_index,
            std::uint64_t byte_offset, std::string_view block = {}) noexcept
        : values_(values), count_(count), row_index_(row_index), byte_offset_(byte_offset),
          block_(block) {}

    std::size_t size() const noexcept { return count_; }
    const FieldValue &operator[](std::size_t slot) const noexcept { return values_[slot]; }
    const FieldValue *values() const noexcept { return values_; }
    // 0-based position of this row in the response body (not counting a CSV header).
    std::uint64_t row_index() const noexcept { return row_index_; }
    // Offset of the row's first byte in the response body, for error messages.
    std::uint64_t byte_offset() const noexcept { return byte_offset_; }
    // Empty, or bytes that hold every non-null value's text, each followed by a NUL inside
    // them: a Page then copies the row's values at once and points into the copy, where it
    // would otherwise copy and terminate each value in turn (the JSON decoder's row buffer is
    // laid out so; docs/benchmark.md, "Session 45").
    std::string_view block() const noexcept { return block_; }
    // That promise for one slot: null, or inside the block with a NUL after it there (for the
    // decoders' tests and fuzz targets; Page::append relies on it unchecked).
    bool in_block(std::size_t slot) const noexcept {
        const std::string_view text = values_[slot].text;
        return values_[slot].is_null() ||
               (text.data() >= block_.data() &&
                text.data() + text.size() < block_.data() + block_.size() &&
                text.data()[text.size()] == '\0');
    }

  private:
    const FieldValue *values_;
    std::size_t count_;
    std::uint64_t row_index_;
    std::uint64_t byte_offset_;
    std::string_view block_;
};

using RowCallback = std::function<void(const RowView &)>;

// Guards against absurd or hostile bodies; a decoder never buffers more than one row.
struct DecoderLimits {
    std::size_t max_value_bytes = std::size_t(64) << 20; // one field value (or CSV field)
    // All wanted values of one row, each with its terminating byte (RowView::block).
    std::size_t max_row_bytes = std::size_t(256) << 20;
    int max_depth = 64; // JSON nesting, counting array and row
};

} // namespace socrata
