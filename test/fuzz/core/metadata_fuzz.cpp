// libFuzzer harness: dataset metadata, Socrata error bodies and row counts
// (src/core/dataset_metadata.*, soda_error.*, row_count.*: parse_row_count only, since
// fetch_row_count needs a client).
//
// Input: byte 0 picks the target, the rest is the text (for the HTTP error: two bytes of status,
// then a URL, a Location and the body). Checks:
//  - parse_dataset_metadata throws only Error(BadResponse); every column it returns has a field
//    name; postgres_column_name_for gives a usable identifier (ASCII [a-z0-9_], not empty, at
//    most 63 bytes, no leading digit) and make_unique_names makes the list unique and keeps
//    each name within 63 bytes and the first of each spelling unchanged;
//  - parse_soda_error never throws, its message is never empty and at most ~800 bytes;
//  - error_for_http_status does not throw (it returns an Error of kind Http with the status);
//  - parse_row_count throws only Error(BadResponse), and what it returns is the digits' value.
#include "fuzz_support.hpp"

#include "dataset_metadata.hpp"
#include "row_count.hpp"
#include "soda_error.hpp"

#include <cmath>
#include <set>

using namespace socrata;

namespace {

void check_identifier(const std::string &name, std::string_view from) {
    const std::string shown = "\"" + name + "\" from \"" + std::string(from) + "\"";
    FUZZ_CHECK(!name.empty() && name.size() <= 63, "column name length: " + shown);
    for (char c : name)
        FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_',
                   "column name character: " + shown);
    FUZZ_CHECK(!(name[0] >= '0' && name[0] <= '9'), "column name leading digit: " + shown);
    for (const char *system : {"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"})
        FUZZ_CHECK(name != system, "system column name: " + shown);
}

void check_unique(std::vector<std::string> names) {
    const std::vector<std::string> before = names;
    make_unique_names(names);
    FUZZ_CHECK(names.size() == before.size(), "make_unique_names changed the count");
    std::set<std::string> seen;
    std::set<std::string> first;
    for (std::size_t i = 0; i < names.size(); ++i) {
        FUZZ_CHECK(seen.insert(names[i]).second, "make_unique_names left a repeat: " + names[i]);
        if (before[i].size() <= 63)
            FUZZ_CHECK(names[i].size() <= 63,
                       "make_unique_names made a name too long: " + names[i]);
        if (first.insert(before[i]).second)
            FUZZ_CHECK(names[i] == before[i], "first of a spelling renamed: " + before[i]);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t which = in.byte();
    switch (which % 5) {
    case 0: { // metadata document
        const std::string_view json = in.rest();
        try {
            const DatasetMetadata m =
                parse_dataset_metadata(json, "https://example.test/api/views/abcd-1234.json");
            std::vector<std::string> names;
            for (const auto &c : m.columns) {
                FUZZ_CHECK(!c.field_name.empty(), "column without a field name");
                FUZZ_CHECK(c.data_type_name != "meta_data", "meta_data column kept");
                (void)postgres_type_for(c.data_type_name);
                (void)csv_reads_like_json(c.data_type_name);
                names.push_back(postgres_column_name_for(c.field_name));
                check_identifier(names.back(), c.field_name);
            }
            check_unique(names);
        } catch (const Error &e) {
            FUZZ_CHECK(e.kind() == ErrorKind::BadResponse, e.what());
        }
        break;
    }
    case 1: { // field names straight: identifiers and uniqueness
        std::vector<std::string> names;
        while (in.left() > 0) {
            const std::string_view field = in.sized(80);
            names.push_back(postgres_column_name_for(field));
            check_identifier(names.back(), field);
        }
        check_unique(names);
        break;
    }
    case 2: { // error body
        const std::string_view body = in.rest();
        const SodaError e = parse_soda_error(body);
        FUZZ_CHECK(!e.message.empty(), "empty message");
        FUZZ_CHECK(e.message.size() <= 4 * 200 + 3,
                   "message too long: " + std::to_string(e.message.size()));
        break;
    }
    case 3: { // HTTP error
        const int status = in.byte() * 4 + (in.byte() & 3);
        const std::string_view url = in.sized(255);
        const std::string_view location = in.sized(255);
        const std::string_view body = in.rest();
        const Error e = error_for_http_status(status, body, url, location);
        FUZZ_CHECK(e.kind() == ErrorKind::Http && e.http_status() == status, "kind/status");
        break;
    }
    case 4: { // row count
        const std::string_view text = in.rest();
        try {
            const double n = parse_row_count(text, "abcd-1234");
            FUZZ_CHECK(!text.empty() && text.size() <= 20, "accepted length");
            double expect = 0;
            for (char c : text) {
                FUZZ_CHECK(c >= '0' && c <= '9', "accepted a non-digit");
                expect = expect * 10 + (c - '0');
            }
            FUZZ_CHECK(n == expect && n >= 0 && std::isfinite(n), "count value");
        } catch (const Error &e) {
            FUZZ_CHECK(e.kind() == ErrorKind::BadResponse, e.what());
        }
        break;
    }
    }
    return 0;
}
