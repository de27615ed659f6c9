// Text between the database's encoding and the portal's UTF-8: see database_encoding.hpp.
#include "database_encoding.hpp"

#include "pg_guard.hpp"
#include "text_snippet.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "mb/pg_wchar.h"
}

#include <vector>

namespace socrata::pg {

namespace {

int database_encoding() {
    return pg::call([] { return GetDatabaseEncoding(); });
}

// UTF8 needs nothing; SQL_ASCII has no conversions (its bytes are whatever was stored).
bool passes_unconverted(int encoding) {
    return encoding == PG_UTF8 || encoding == PG_SQL_ASCII;
}

} // namespace

bool database_is_utf8() {
    return database_encoding() == PG_UTF8;
}

std::string utf8_from_database(const char *text, std::size_t length) {
    if (passes_unconverted(database_encoding()))
        return std::string(text, length);
    // Every server encoding converts to UTF-8 without loss, so this does not fail.
    char *converted =
        pg::call([&] { return pg_server_to_any(text, static_cast<int>(length), PG_UTF8); });
    std::string out(converted);
    if (converted != text)
        pg::call([&] { pfree(converted); });
    return out;
}

std::string database_text_from_utf8(std::string_view utf8) {
    const int encoding = database_encoding();
    if (passes_unconverted(encoding))
        return std::string(utf8);
    const Oid proc = pg::call([&] { return FindDefaultConversionProc(PG_UTF8, encoding); });
    std::string out;
    // Room for the whole text converted; each call below fills only what it converts.
    std::vector<unsigned char> converted(utf8.size() * MAX_CONVERSION_GROWTH + 1);
    std::size_t done = 0;
    while (done < utf8.size()) {
        // Convert as far as the first character the encoding cannot hold (or a NUL, which no
        // C string can), write that one escaped, and go on after it.
        std::string_view rest = utf8.substr(done);
        converted[0] = '\0';
        int consumed = 0;
        if (OidIsValid(proc))
            consumed = pg::call([&] {
                return pg_do_encoding_conversion_buf(
                    proc, PG_UTF8, encoding,
                    reinterpret_cast<unsigned char *>(const_cast<char *>(rest.data())),
                    static_cast<int>(rest.size()), converted.data(),
                    static_cast<int>(converted.size()), true);
            });
        out += reinterpret_cast<const char *>(converted.data());
        done += static_cast<std::size_t>(consumed);
        if (done < utf8.size()) {
            std::size_t length = utf8_character_length(utf8.substr(done));
            out += escaped_character(utf8.substr(done, length));
            done += length;
        }
    }
    return out;
}

bool database_bytes_order_as_code_points() {
    const int encoding = database_encoding();
    return encoding == PG_UTF8 || encoding == PG_LATIN1 || encoding == PG_SQL_ASCII;
}

bool database_like_matches_characters() {
    return database_encoding() != PG_SQL_ASCII;
}

} // namespace socrata::pg
