// Text crossing between the database's encoding and the portal's, which is always UTF-8.
// In a UTF8 database (the usual case) nothing here converts anything.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace socrata::pg {

// Whether the database's text is UTF-8, as the portal's is: then values need no conversion.
bool database_is_utf8();

// The database's text as UTF-8, for a SoQL literal. In a SQL_ASCII database the bytes are
// passed on as they are (SQL_ASCII declares no encoding; SoQL's literal check refuses invalid
// UTF-8).
std::string utf8_from_database(const char *text, std::size_t length);

// UTF-8 text in the database's encoding, for what Postgres shows (EXPLAIN, comments): a
// character the encoding cannot hold is written as \uXXXX (or \UXXXXXXXX) rather than failing.
std::string database_text_from_utf8(std::string_view utf8);

// Whether the database's C collation orders text by code point (as a portal with the
// text_code_point_order option does): true for
// UTF8 (byte order is code point order), LATIN1 (each byte is its code point) and SQL_ASCII
// (its text arrives as UTF-8), false for encodings like WIN1252, whose byte 0x80 is U+20AC.
bool database_bytes_order_as_code_points();

// Whether LIKE's `_` matches one character here as at the portal: not in SQL_ASCII, whose text
// is the portal's UTF-8 bytes as stored, and where Postgres's LIKE matches byte by byte.
bool database_like_matches_characters();

} // namespace socrata::pg
