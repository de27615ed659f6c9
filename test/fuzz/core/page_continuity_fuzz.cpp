// libFuzzer harness: PageContinuity (src/core/page_continuity.*), which reads the portal's row
// identifiers and grouping keys page after page and quotes them in its errors.
//
// Input: byte 0 = mode (bit 0: keyset paging; bit 1: key is the row id; bits 2-3: key slot
// count), then pages: a row count byte, then per row per slot a kind byte and a text.
// The portal's values may contain the app token (a server that echoes it). Checks: only
// Error(Protocol) escapes, and no error text holds the app token or 8 bytes in a row of it.
#include "fuzz_support.hpp"

#include "ascii_case.hpp"
#include "page.hpp"
#include "page_continuity.hpp"

using namespace socrata;

namespace {

const std::string kToken = "AbCdEfGhIjKlMnOpQrStUvWxY";

void check_error(const Error &e) {
    FUZZ_CHECK(e.kind() == ErrorKind::Protocol, std::string(to_string(e.kind())) + ": " + e.what());
    const std::string all = std::string(e.what()) + "\n" + e.detail() + "\n" + e.hint();
    for (std::size_t j = 0; j + 8 <= kToken.size(); ++j)
        FUZZ_CHECK(find_ignoring_case(all, ascii_lowercase(kToken.substr(j, 8))) ==
                       std::string::npos,
                   "error quotes the app token: " + all);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t mode = in.byte();
    const bool keyset = mode & 1;
    const bool key_is_row_id = mode & 2;
    const std::size_t slots = 3;
    std::vector<std::size_t> key_slots;
    for (std::size_t i = 0; i < ((mode >> 2) & 3); ++i)
        key_slots.push_back((mode >> (4 + i)) & 3); // slot 3 is past the row: allowed
    if (key_is_row_id && key_slots.empty())
        key_slots.push_back(2);
    PageContinuity c(keyset, key_slots, key_is_row_id, slots, kToken);
    std::string store; // texts live here while a page is read
    try {
        for (int page_no = 0; in.left() > 0 && page_no < 16; ++page_no) {
            const bool first = page_no == 0;
            c.start_page("https://example.test/resource/abcd-1234.json?$offset=" +
                             std::to_string(page_no),
                         page_no * 10, first);
            Page page;
            page.reset(slots);
            const std::size_t rows = in.byte() % 6;
            for (std::size_t r = 0; r < rows && in.left() > 0; ++r) {
                std::vector<std::string> texts;
                std::vector<FieldValue> values(slots);
                for (std::size_t s = 0; s < slots; ++s) {
                    const std::uint8_t k = in.byte();
                    std::string t(in.sized(k & 0x80 ? 40 : 12));
                    if (k & 0x40)
                        t.insert(t.size() / 2, kToken.substr((k >> 3) & 7));
                    texts.push_back(std::move(t));
                    values[s].kind = static_cast<ValueKind>(k % 6);
                }
                for (std::size_t s = 0; s < slots; ++s)
                    values[s].text =
                        values[s].kind == ValueKind::Null ? std::string_view() : texts[s];
                const RowView row(values.data(), slots, r, 0);
                if (r == 0 && !c.first_row(row))
                    continue;
                c.add(row);
                (void)c.label(row);
                page.append(row);
                if (in.byte() == 0x7F) // a retry from the page's start
                    c.restart_page(page.rows() / 2);
            }
            c.hold_last_row(page);
            c.finish_page(page.rows() > 0);
        }
    } catch (const Error &e) {
        check_error(e);
    }
    return 0;
}
