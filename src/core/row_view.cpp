#include "row_view.hpp"

namespace socrata {

const char *to_string(ValueKind kind) noexcept {
    switch (kind) {
    case ValueKind::Null:
        return "null";
    case ValueKind::String:
        return "string";
    case ValueKind::Number:
        return "number";
    case ValueKind::Bool:
        return "boolean";
    case ValueKind::Object:
        return "object";
    case ValueKind::Array:
        return "array";
    }
    return "unknown";
}

} // namespace socrata
