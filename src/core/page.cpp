#include "page.hpp"

#include "error.hpp"

#include <algorithm>

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
    for (std::size_t slot = 0; slot < slots_; ++slot) {
        const FieldValue &v = slot < row.size() ? row[slot] : FieldValue{};
        if (arena_.size() + v.text.size() + 1 > UINT32_MAX)
            throw Error(ErrorKind::Protocol, "a page of rows exceeds 4 GB", {},
                        "Lower the page_size option.");
        arena_.append(v.text.data(), v.text.size());
        arena_.push_back('\0');
        bounds_.push_back(static_cast<std::uint32_t>(arena_.size()));
        kinds_.push_back(v.kind);
    }
    ++rows_;
}

} // namespace socrata
