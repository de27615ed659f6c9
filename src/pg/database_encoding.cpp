// Text between the database's encoding and the portal's UTF-8: see database_encoding.hpp.
#include "database_encoding.hpp"

#include "pg_guard.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "mb/pg_wchar.h"
}

#include <algorithm>
#include <cstdio>
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

// Bytes of the UTF-8 character that starts with `lead` (1 for a byte no character starts with).
std::size_t utf8_sequence_length(unsigned char lead) {
    if (lead >= 0xF0 && lead <= 0xF4)
        return 4;
    if (lead >= 0xE0)
        return lead <= 0xEF ? 3 : 1;
    return lead >= 0xC2 ? 2 : 1;
}

// \uXXXX (\UXXXXXXXX beyond the basic plane) for one UTF-8 character, as JSON and Postgres's
// U& strings write it; \xNN for a byte that starts no character.
std::string escaped_character(std::string_view character) {
    const auto lead = static_cast<unsigned char>(character[0]);
    char buf[16];
    if (character.size() == 1) {
        snprintf(buf, sizeof buf, "\\x%02X", lead);
        return buf;
    }
    unsigned long code = lead & (0x7F >> character.size());
    for (std::size_t i = 1; i < character.size(); ++i)
        code = (code << 6) | (static_cast<unsigned char>(character[i]) & 0x3F);
    snprintf(buf, sizeof buf, code > 0xFFFF ? "\\U%08lX" : "\\u%04lX", code);
    return buf;
}

} // namespace

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
    std::vector<unsigned char> converted;
    std::size_t done = 0;
    while (done < utf8.size()) {
        // Convert as far as the first character the encoding cannot hold (or a NUL, which no
        // C string can), write that one escaped, and go on after it.
        std::string_view rest = utf8.substr(done);
        converted.assign(rest.size() * MAX_CONVERSION_GROWTH + 1, 0);
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
            std::size_t length = utf8_sequence_length(static_cast<unsigned char>(utf8[done]));
            length = std::min(length, utf8.size() - done);
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

} // namespace socrata::pg
