// Reading optional members of the small JSON documents Socrata answers with (dataset metadata,
// error objects), where a missing or mistyped member means "not given" rather than an error.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace socrata {

// The string member `key` of `object`, or "" if it is absent or not a string.
inline std::string string_member(const nlohmann::json &object, const char *key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace socrata
