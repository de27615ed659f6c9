#include "page.hpp"

#include "error.hpp"

#include <algorithm>
#include <cstring>

namespace socrata {

void Page::reserve(std::size_t rows, std::size_t bytes) {
    if (slots_ > 0) {
        std::size_t values =
            std::min(rows, kMaxReserveBytes / (sizeof(std::uint32_t) + 1) / slots_) * slots_;
        bounds_.reserve(values + 1);
        kinds_.reserve(values);
    }
    arena_.reserve(std::min(bytes, kMaxReserveBytes));
}

void Page::append(const RowView &row) {
    // Sized once per row, then filled through pointers: per-value appends and push_backs each
    // checked capacity, and this runs for every value of a scan (on the fetch thread).
    const std::size_t given = std::min(row.size(), slots_);
    std::size_t bytes = slots_; // a NUL after each value
    for (std::size_t slot = 0; slot < given; ++slot)
        bytes += row[slot].text.size();
    const std::size_t start = arena_.size();
    if (start + bytes > UINT32_MAX)
        throw Error(ErrorKind::Protocol, "a page of rows exceeds 4 GB", {},
                    "Lower the page_size option.");
    char *const first = arena_.extend(bytes);
    const std::size_t values = rows_ * slots_;
    if (bounds_.size() < values + slots_ + 1)
        bounds_.resize(values + slots_ + 1);
    if (kinds_.size() < values + slots_)
        kinds_.resize(values + slots_);
    std::uint32_t *const bound = bounds_.data() + values + 1;
    ValueKind *const kind = kinds_.data() + values;
    char *out = first;
    for (std::size_t slot = 0; slot < slots_; ++slot) {
        const FieldValue v = slot < given ? row[slot] : FieldValue{};
        copy_bytes(out, v.text.data(), v.text.size());
        out += v.text.size();
        *out++ = '\0';
        bound[slot] = static_cast<std::uint32_t>(start + std::size_t(out - first));
        kind[slot] = v.kind;
    }
    ++rows_;
}

} // namespace socrata
