#include "error.hpp"

namespace socrata {

const char *to_string(ErrorKind kind) noexcept {
    switch (kind) {
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
    case ErrorKind::Protocol:
        return "protocol";
    }
    return "unknown";
}

} // namespace socrata
