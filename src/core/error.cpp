#include "error.hpp"

namespace socrata {

const char *to_string(ErrorKind kind) noexcept {
    switch (kind) {
    case ErrorKind::UnknownOption:
        return "unknown_option";
    case ErrorKind::MissingOption:
        return "missing_option";
    case ErrorKind::InvalidOption:
        return "invalid_option";
    case ErrorKind::BadResponse:
        return "bad_response";
    case ErrorKind::Http:
        return "http";
    case ErrorKind::Network:
        return "network";
    case ErrorKind::Cancelled:
        return "cancelled";
    case ErrorKind::Conversion:
        return "conversion";
    case ErrorKind::Untranslatable:
        return "untranslatable";
    case ErrorKind::Protocol:
        return "protocol";
    case ErrorKind::Internal:
        return "internal";
    }
    return "unknown";
}

} // namespace socrata
