#include "field_slot_map.hpp"

namespace socrata {

FieldSlotMap::FieldSlotMap(const std::vector<std::string> &slot_fields) {
    std::size_t size = 8;
    while (size < slot_fields.size() * 4) // load factor <= 1/4 keeps probe chains short
        size *= 2;
    table_.resize(size);
    mask_ = std::uint32_t(size - 1);

    slot_field_.reserve(slot_fields.size());
    for (const std::string &name : slot_fields) {
        int field = find(name.data(), name.size());
        if (field == kNotWanted) {
            field = int(fields_.size());
            fields_.push_back(name);
            std::uint32_t i = bucket(name.data(), name.size());
            while (table_[i].field != kNotWanted)
                i = (i + 1) & mask_;
            table_[i].len = std::uint32_t(name.size());
            table_[i].field = field;
        }
        slot_field_.push_back(field);
    }
}

} // namespace socrata
