// Quoting untrusted bytes (response bodies, values) inside error messages: control characters
// and invalid UTF-8 become \xNN so a hostile body cannot forge log lines or break the encoding.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace socrata {

// Returns `text` in double quotes, at most about max_bytes of it, "..." marking a cut.
// Valid UTF-8 passes through; a cut never splits a multi-byte character. (A database in
// another encoding converts the result: pg/database_encoding.hpp.)
std::string printable_snippet(std::string_view text, std::size_t max_bytes = 200);

// The same without the quotes, for a message that already quotes its parts (Postgres's own, say):
// control characters and invalid UTF-8 escaped, '"' and '\\' left as they are.
std::string printable_text(std::string_view text, std::size_t max_bytes = 400);

// Length of the longest prefix of `text` no longer than max_bytes that does not end in the
// middle of a UTF-8 sequence.
std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes) noexcept;

// Bytes of the first character of non-empty `text`: its whole sequence if that is valid UTF-8,
// else 1 (a byte that starts no character, or a sequence cut short or malformed).
std::size_t utf8_character_length(std::string_view text) noexcept;

// One character as Postgres's U& strings and JSON write it, for text whose encoding lacks it:
// \uXXXX, \UXXXXXXXX beyond the basic plane; a single byte that is no character as \xNN.
// `character` is what utf8_character_length measured.
std::string escaped_character(std::string_view character);

} // namespace socrata
