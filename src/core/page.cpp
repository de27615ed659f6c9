#include "page.hpp"

#include "error.hpp"

#include <algorithm>
#include <cstring>

namespace socrata {

void Page::reserve(std::size_t rows, std::size_t bytes) {
    if (slots_ > 0) {
        std::size_t values =
            std::min(rows, kMaxReserveBytes / (sizeof(Span) + 1) / slots_) * slots_;
        spans_.reserve(values);
        kinds_.reserve(values);
    }
    arena_.reserve(std::min(bytes, kMaxReserveBytes));
}

std::size_t Page::add_row_entries() {
    const std::size_t first = rows_ * slots_;
    if (spans_.size() < first + slots_)
        spans_.resize(first + slots_);
    if (kinds_.size() < first + slots_)
        kinds_.resize(first + slots_);
    return first;
}

void Page::check_arena_size(std::size_t bytes) const {
    if (arena_.size() + bytes > UINT32_MAX)
        throw Error(ErrorKind::Protocol, "a page of rows exceeds 4 GB", {},
                    "Lower the page_size option.");
}

void Page::append(const RowView &row) {
    // Sized once per row, then filled through pointers: per-value appends and push_backs each
    // checked capacity, and this runs for every value of a scan (on the fetch thread). The
    // row's values are read through a local pointer too: a store of a kind (one byte) may
    // alias anything, the RowView included.
    const std::size_t given = std::min(row.size(), slots_);
    const FieldValue *const values = row.values();
    const std::size_t first = add_row_entries();
    Span *const span = spans_.data() + first;
    ValueKind *const kind = kinds_.data() + first;
    const std::string_view block = row.block();
    if (!block.empty()) {
        check_arena_size(block.size());
        const std::size_t start = arena_.size();
        std::memcpy(arena_.extend(block.size()), block.data(), block.size());
        for (std::size_t slot = 0; slot < slots_; ++slot) {
            const FieldValue v = slot < given ? values[slot] : FieldValue{};
            kind[slot] = v.kind;
            span[slot] = v.is_null() ? Span{0, 0}
                                     : Span{static_cast<std::uint32_t>(
                                                start + std::size_t(v.text.data() - block.data())),
                                            static_cast<std::uint32_t>(v.text.size())};
        }
    } else {
        std::size_t bytes = slots_; // a NUL after each value
        for (std::size_t slot = 0; slot < given; ++slot)
            bytes += values[slot].text.size();
        check_arena_size(bytes);
        const std::size_t start = arena_.size();
        char *const begin = arena_.extend(bytes);
        char *out = begin;
        for (std::size_t slot = 0; slot < slots_; ++slot) {
            const FieldValue v = slot < given ? values[slot] : FieldValue{};
            copy_bytes(out, v.text.data(), v.text.size());
            kind[slot] = v.kind;
            span[slot] = Span{static_cast<std::uint32_t>(start + std::size_t(out - begin)),
                              static_cast<std::uint32_t>(v.text.size())};
            out += v.text.size();
            *out++ = '\0';
        }
    }
    ++rows_;
}

} // namespace socrata
