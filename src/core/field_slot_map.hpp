// Maps a field name seen in a response to the output slots that want it. This lookup runs once
// per field per row on the bulk-load path, so it is an open-addressing table probed with a cheap
// hash of length and a few bytes, confirmed by length and a word-wise compare: no allocation,
// no std::string.
#pragma once

#include "byte_scan.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace socrata {

class FieldSlotMap {
  public:
    static constexpr int kNotWanted = -1;

    // Slots are output positions in order; the same name may fill several slots.
    explicit FieldSlotMap(const std::vector<std::string> &slot_fields);

    // Index of the distinct wanted field with this name, or kNotWanted.
    int find(const char *name, std::size_t len) const noexcept {
        std::uint32_t i = bucket(name, len);
        for (;;) {
            const Entry &e = table_[i];
            if (e.field == kNotWanted)
                return kNotWanted;
            if (e.len == len && same_bytes(fields_[std::size_t(e.field)].data(), name, len))
                return e.field;
            i = (i + 1) & mask_;
        }
    }

    std::size_t field_count() const noexcept { return fields_.size(); }
    std::size_t slot_count() const noexcept { return slot_field_.size(); }
    int field_of_slot(std::size_t slot) const noexcept { return slot_field_[slot]; }
    // field_of_slot for every slot, as an array of slot_count().
    const int *slot_fields() const noexcept { return slot_field_.data(); }
    const std::string &field_name(int field) const { return fields_[std::size_t(field)]; }

  private:
    struct Entry {
        std::uint32_t len = 0;
        int field = kNotWanted;
    };

    std::uint32_t bucket(const char *p, std::size_t len) const noexcept {
        std::uint32_t h = std::uint32_t(len);
        if (len != 0) {
            h = h * 31u + static_cast<unsigned char>(p[0]);
            h = h * 31u + static_cast<unsigned char>(p[len / 2]);
            h = h * 31u + static_cast<unsigned char>(p[len - 1]);
        }
        return (h * 2654435761u >> 8) & mask_;
    }

    std::vector<std::string> fields_; // distinct names
    std::vector<int> slot_field_;     // slot -> index into fields_
    std::vector<Entry> table_;
    std::uint32_t mask_ = 0;
};

} // namespace socrata
