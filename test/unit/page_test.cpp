#include "page.hpp"
#include "value_text.hpp"

#include <gtest/gtest.h>

using namespace socrata;

namespace {

void append_row(Page &page, std::vector<FieldValue> values) {
    page.append(RowView(values.data(), values.size(), 0, 0));
}

} // namespace

TEST(Page, KeepsValuesNulTerminatedWithTheirKinds) {
    Page page;
    page.reset(3);
    append_row(page,
               {{ValueKind::String, "THEFT"}, {ValueKind::Null, {}}, {ValueKind::Bool, "true"}});
    append_row(page, {{ValueKind::Number, "41.88"}, {ValueKind::Object, "{\"a\":1}"}, {}});
    ASSERT_EQ(page.rows(), 2u);
    EXPECT_STREQ(page.c_str(0, 0), "THEFT");
    EXPECT_EQ(page.kind(0, 1), ValueKind::Null);
    EXPECT_EQ(page.text(0, 2), "true");
    EXPECT_EQ(page.kind(1, 0), ValueKind::Number);
    EXPECT_STREQ(page.c_str(1, 1), "{\"a\":1}");
    EXPECT_EQ(page.kind(1, 2), ValueKind::Null);
}

TEST(Page, EachValueHasItsOwnLength) {
    // Lengths come from where the next value starts: check empty values, NUL bytes inside a
    // value, and the last value of the page, which has no next one.
    Page page;
    page.reset(3);
    append_row(page, {{ValueKind::String, ""},
                      {ValueKind::String, std::string_view("a\0b", 3)},
                      {ValueKind::Null, {}}});
    append_row(
        page,
        {{ValueKind::Number, "7"}, {ValueKind::String, ""}, {ValueKind::String, "last value"}});
    EXPECT_EQ(page.text(0, 0), "");
    EXPECT_EQ(page.text(0, 1), std::string_view("a\0b", 3));
    EXPECT_EQ(page.text(0, 2), "");
    EXPECT_EQ(page.text(1, 0), "7");
    EXPECT_EQ(page.text(1, 1), "");
    EXPECT_EQ(page.text(1, 2), "last value");
    EXPECT_STREQ(page.c_str(1, 2), "last value");
}

TEST(Page, ResetReusesTheBuffers) {
    Page page;
    page.reset(1);
    for (int i = 0; i < 1000; ++i)
        append_row(page, {{ValueKind::String, "0123456789"}});
    std::size_t capacity = page.capacity_bytes();
    page.reset(1);
    EXPECT_EQ(page.rows(), 0u);
    for (int i = 0; i < 1000; ++i)
        append_row(page, {{ValueKind::String, "0123456789"}});
    EXPECT_EQ(page.capacity_bytes(), capacity) << "a page of the same size must not grow memory";
}

TEST(ValueText, JsonColumnsGetValidJson) {
    std::string scratch;
    EXPECT_STREQ(json_text_for(ValueKind::String, "say \"hi\"\n\\", scratch),
                 "\"say \\\"hi\\\"\\n\\\\\"");
    EXPECT_STREQ(json_text_for(ValueKind::Number, "12.5", scratch), "12.5");
    EXPECT_STREQ(json_text_for(ValueKind::Object, "{\"type\":\"Point\"}", scratch),
                 "{\"type\":\"Point\"}");
    EXPECT_STREQ(json_text_for(ValueKind::String, std::string_view("\x01", 1), scratch),
                 "\"\\u0001\"");
    // Tab and carriage return by their short escapes, the rest of the controls in hex, UTF-8
    // as it is.
    EXPECT_STREQ(json_text_for(ValueKind::String, "a\tb\rc\x1f\xc3\xa9", scratch),
                 "\"a\\tb\\rc\\u001f\xc3\xa9\"");
}

TEST(ValueText, PointColumnsGetLonLat) {
    std::string scratch;
    EXPECT_STREQ(point_text_for(ValueKind::Object,
                                R"({"type":"Point","coordinates":[-87.62,41.71]})", scratch),
                 "(-87.62,41.71)");
    EXPECT_STREQ(point_text_for(ValueKind::Object,
                                R"({"latitude":"41.83","longitude":"-87.62","human_address":"{}"})",
                                scratch),
                 "(-87.62,41.83)");
    // A location without coordinates (an empty point, an address never geocoded) is NULL.
    EXPECT_EQ(point_text_for(ValueKind::Object, R"({"type":"Point","coordinates":[]})", scratch),
              nullptr);
    EXPECT_EQ(
        point_text_for(ValueKind::Object, R"({"human_address":"{\"city\":\"Chicago\"}"})", scratch),
        nullptr);
    // Anything else is passed on for the point input function to reject with its own message.
    EXPECT_STREQ(point_text_for(ValueKind::String, "nowhere", scratch), "nowhere");
}

TEST(ValueText, RowPositionPrefersTheRowIdentifier) {
    Page page;
    page.reset(2);
    append_row(page, {{ValueKind::String, "x"}, {ValueKind::String, "row-ab12.cd34"}});
    EXPECT_EQ(describe_row_position(page, 0, 1), ":id row-ab12.cd34");
    EXPECT_EQ(describe_row_position(page, 0, 2), "row 1 of the page");
    // Grouped rows carry no identifier: their number in the whole result.
    EXPECT_EQ(describe_row_position(page, 0, 2, 4001), "row 4001 of the result");
    // A hostile identifier cannot forge a log line or fill the message.
    page.reset(2);
    append_row(page, {{ValueKind::String, "x"}, {ValueKind::String, "row-1\nLOG:  forged"}});
    append_row(page, {{ValueKind::String, "x"}, {ValueKind::String, std::string(5000, 'r')}});
    EXPECT_EQ(describe_row_position(page, 0, 1), ":id row-1\\x0ALOG:  forged");
    EXPECT_LT(describe_row_position(page, 1, 1).size(), 120u);
}

TEST(Page, ReserveLetsAPageFillWithoutMovingItsValues) {
    // Growing by doubling would move the arena (and the values c_str() points into) several
    // times while 1,000 rows go in; after reserve it stays where it is.
    Page page;
    page.reset(2);
    page.reserve(1000, 1000 * 2 * 11);
    append_row(page, {{ValueKind::String, "0123456789"}, {ValueKind::Number, "7"}});
    const char *first = page.c_str(0, 0);
    for (int i = 1; i < 1000; ++i)
        append_row(page, {{ValueKind::String, "0123456789"}, {ValueKind::Number, "7"}});
    EXPECT_EQ(page.c_str(0, 0), first);
    EXPECT_STREQ(page.c_str(999, 0), "0123456789");
}

TEST(Page, ReserveIsCapped) {
    // page_size may be 1,000,000 and a table may have many columns: what is reserved up front
    // stays bounded (a bigger page grows as it fills, as any page that was not reserved does).
    Page page;
    page.reset(100);
    page.reserve(1000000, std::size_t(1) << 34);
    EXPECT_LE(page.capacity_bytes(), 2 * Page::kMaxReserveBytes + 4096);
    EXPECT_GE(page.capacity_bytes(), Page::kMaxReserveBytes);
}

TEST(Page, HoldsNineBytesPerValueBesidesItsText) {
    // A 10,000-row page of the sync's columns holds about 200,000 values: what each costs
    // beyond its text is most of a page's memory (an 8-byte offset and length and a kind took
    // 17 bytes).
    Page page;
    page.reset(2);
    page.reserve(1000, 1000 * (3 + 2) + 1);
    for (int i = 0; i < 1000; ++i)
        append_row(page, {{ValueKind::String, "ab"}, {ValueKind::Number, "7"}});
    // 1,000 rows of "ab\0" and "7\0" and the page's leading NUL, plus 9 bytes per value.
    EXPECT_LE(page.capacity_bytes(), 1000u * (3 + 2) + 1 + 2000u * 9 + 64);
    EXPECT_EQ(page.text(999, 0), "ab");
    EXPECT_EQ(page.text(999, 1), "7");
}

TEST(Page, ARowsBlockIsCopiedWholeWithItsValuesInAnyOrder) {
    // The JSON decoder's row buffer: values in the order their keys came, each followed by a
    // NUL, a duplicate key's overwritten value left in it. Slots point anywhere inside.
    std::string block("1969\0THEFT\0\0old\0true\0", 21);
    const char *b = block.data();
    std::vector<FieldValue> values = {
        {ValueKind::String, {b + 5, 5}},  // THEFT
        {ValueKind::Null, {}},            //
        {ValueKind::Bool, {b + 16, 4}},   // true
        {ValueKind::Number, {b, 4}},      // 1969
        {ValueKind::String, {b + 11, 0}}, // an empty string
        {ValueKind::String, {b + 5, 5}},  // THEFT again: two slots of one field
    };
    Page page;
    page.reset(7); // the seventh slot is not in the row: null
    append_row(page, {{ValueKind::String, "before"}});
    page.append(RowView(values.data(), values.size(), 0, 0, block));
    append_row(page, {{ValueKind::String, "after"}});
    ASSERT_EQ(page.rows(), 3u);
    EXPECT_STREQ(page.c_str(1, 0), "THEFT");
    EXPECT_EQ(page.text(1, 0), "THEFT");
    EXPECT_EQ(page.kind(1, 1), ValueKind::Null);
    EXPECT_STREQ(page.c_str(1, 1), "");
    EXPECT_EQ(page.text(1, 1), "");
    EXPECT_EQ(page.kind(1, 2), ValueKind::Bool);
    EXPECT_STREQ(page.c_str(1, 2), "true");
    EXPECT_EQ(page.text(1, 3), "1969");
    EXPECT_EQ(page.kind(1, 4), ValueKind::String);
    EXPECT_STREQ(page.c_str(1, 4), "");
    EXPECT_EQ(page.text(1, 5), "THEFT");
    EXPECT_EQ(page.kind(1, 6), ValueKind::Null);
    EXPECT_STREQ(page.c_str(1, 6), "");
    // The copy is the page's own: the block may be reused for the next row.
    block.replace(5, 5, "ROBBR");
    EXPECT_STREQ(page.c_str(1, 0), "THEFT");
    EXPECT_STREQ(page.c_str(0, 0), "before");
    EXPECT_STREQ(page.c_str(2, 0), "after");
    EXPECT_EQ(page.kind(2, 1), ValueKind::Null);
}

TEST(Page, RowsWithBlocksAfterAMoveAndAtAnotherWidth) {
    // A null's text is the page's leading NUL, written by reset: also in a page moved from
    // (as BackgroundFetcher swaps pages) and in one reset to another width.
    const std::string block("wide\0narrow\0", 12);
    std::vector<FieldValue> wide = {{ValueKind::String, {block.data(), 4}}, {}, {}};
    std::vector<FieldValue> narrow = {{}, {ValueKind::String, {block.data() + 5, 6}}};
    Page first;
    first.reset(3);
    for (int i = 0; i < 3; ++i)
        first.append(RowView(wide.data(), wide.size(), 0, 0, block));
    Page second = std::move(first);
    EXPECT_STREQ(second.c_str(2, 0), "wide");
    EXPECT_STREQ(second.c_str(2, 2), "");
    first.reset(2); // moved from: its buffers are empty again
    first.append(RowView(narrow.data(), narrow.size(), 0, 0, block));
    second.reset(2);
    second.append(RowView(narrow.data(), narrow.size(), 0, 0, block));
    for (const Page *page : {&first, &second}) {
        ASSERT_EQ(page->rows(), 1u);
        EXPECT_EQ(page->kind(0, 0), ValueKind::Null);
        EXPECT_STREQ(page->c_str(0, 0), "");
        EXPECT_EQ(page->text(0, 0), "");
        EXPECT_STREQ(page->c_str(0, 1), "narrow");
    }
}

TEST(Page, ReusedForRowsOfAnotherWidthAndAfterAMove) {
    // A reset page writes over the entries of its earlier rows instead of clearing them: a page
    // of narrower or wider rows, or one moved from, reads back only its own values.
    Page page;
    page.reset(3);
    for (int i = 0; i < 4; ++i)
        append_row(page, {{ValueKind::String, "wide"}, {ValueKind::Number, "1"}, {}});
    page.reset(2);
    append_row(page, {{ValueKind::Null, {}}, {ValueKind::String, "narrow"}});
    ASSERT_EQ(page.rows(), 1u);
    EXPECT_EQ(page.kind(0, 0), ValueKind::Null);
    EXPECT_EQ(page.text(0, 0), "");
    EXPECT_EQ(page.text(0, 1), "narrow");
    page.reset(7);
    append_row(page, {{ValueKind::String, "a"}});
    EXPECT_EQ(page.text(0, 0), "a");
    for (std::size_t slot = 1; slot < 7; ++slot) {
        EXPECT_EQ(page.kind(0, slot), ValueKind::Null) << slot;
        EXPECT_EQ(page.text(0, slot), "") << slot;
    }
    Page moved = std::move(page);
    EXPECT_EQ(moved.text(0, 0), "a");
    page.reset(2); // NOLINT(bugprone-use-after-move): a moved-from page is reset before reuse
    append_row(page, {{ValueKind::String, "again"}, {ValueKind::Bool, "true"}});
    EXPECT_EQ(page.text(0, 0), "again");
    EXPECT_EQ(page.text(0, 1), "true");
}
