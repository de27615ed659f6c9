// Letter case in protocol text (header names, HTML tags, query-string keys): ASCII only, so
// the bytes of a UTF-8 character are never folded.
#pragma once

#include <cstddef>
#include <string_view>

namespace socrata {

// Where `lowercase_needle` first occurs in `text` at or after `from`, in any letter case of
// `text`; npos if nowhere. The needle must be given in lower case.
std::size_t find_ignoring_case(std::string_view text, std::string_view lowercase_needle,
                               std::size_t from = 0) noexcept;

} // namespace socrata
