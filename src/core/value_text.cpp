#include "value_text.hpp"

#include "location_value.hpp"
#include "text_snippet.hpp"

namespace socrata {

void append_json_string(std::string &out, std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    out.push_back('"');
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 15]);
            } else {
                out.push_back(ch);
            }
        }
    }
    out.push_back('"');
}

const char *json_text_for(ValueKind kind, std::string_view text, std::string &scratch) {
    scratch.clear();
    if (kind == ValueKind::String)
        append_json_string(scratch, text);
    else
        scratch.assign(text.data(), text.size());
    return scratch.c_str();
}

const char *point_text_for(ValueKind kind, std::string_view text, std::string &scratch) {
    if (kind == ValueKind::Object) {
        std::optional<GeoPoint> point = parse_location(text);
        if (!point)
            return nullptr;
        scratch = format_pg_point(*point);
        return scratch.c_str();
    }
    scratch.assign(text.data(), text.size());
    return scratch.c_str();
}

std::string describe_row_position(const Page &page, std::size_t row, std::size_t value_slots,
                                  std::uint64_t row_number) {
    // The portal's text: control bytes escaped and cut, as any untrusted text in a message.
    if (page.slots() > value_slots && page.kind(row, value_slots) != ValueKind::Null)
        return ":id " + printable_text(page.text(row, value_slots), 100);
    if (row_number > 0)
        return "row " + std::to_string(row_number) + " of the result";
    return "row " + std::to_string(row + 1) + " of the page";
}

} // namespace socrata
