// PageContinuity on its own: how rows are told apart and named, and the checks at each page's
// start, fed rows directly (page_fetcher_test.cpp drives it through a server).
#include "page_continuity.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

using namespace socrata;

namespace {

// A row's values with their kinds; view() points into them.
struct TestRow {
    std::vector<std::pair<ValueKind, std::string>> cells;
    std::vector<FieldValue> values;
    RowView view() {
        values.clear();
        for (const auto &[kind, text] : cells)
            values.push_back({kind, text});
        return RowView(values.data(), values.size(), 0, 0);
    }
};

// A row of the (n, :id) scans below.
TestRow id_row(const std::string &n, const std::string &id) {
    return TestRow{{{ValueKind::Number, n}, {ValueKind::String, id}}, {}};
}

Page page_of(std::vector<TestRow> rows, std::size_t slots) {
    Page page;
    page.reset(slots);
    for (auto &row : rows)
        page.append(row.view());
    return page;
}

// Offset paging of (n, :id) rows.
PageContinuity offset_rows() {
    return PageContinuity(false, {1}, true, 2, "sekrit");
}

} // namespace

TEST(PageContinuity, RowsAreToldApartByTheirIdAndGroupsByTheirGroupingKeys) {
    PageContinuity ids = offset_rows();
    EXPECT_EQ(ids.key(id_row("1", "row-a").view()), "row-a");
    EXPECT_EQ(ids.label(id_row("1", "row-a").view()), "row identifier \"row-a\"");

    // Groups of (key, count): the count, an aggregate, is not part of the key.
    PageContinuity groups(false, {0}, false, 2, "sekrit");
    TestRow text_one{{{ValueKind::String, "1"}, {ValueKind::Number, "5"}}, {}};
    TestRow text_one_more{{{ValueKind::String, "1"}, {ValueKind::Number, "6"}}, {}};
    TestRow number_one{{{ValueKind::Number, "1"}, {ValueKind::Number, "5"}}, {}};
    const std::string text_key(groups.key(text_one.view()));
    EXPECT_EQ(text_key, groups.key(text_one_more.view())) << "an aggregate that changed";
    EXPECT_NE(text_key, groups.key(number_one.view())) << "the kind is part of the key";
    EXPECT_EQ(groups.label(text_one.view()), "group \"1\"");
    TestRow null_key{{{ValueKind::Null, ""}, {ValueKind::Number, "5"}}, {}};
    EXPECT_EQ(groups.label(null_key.view()), "group null");
}

TEST(PageContinuity, ALabelMasksTheAppToken) {
    PageContinuity groups(false, {0}, false, 1, "sekrit");
    TestRow row{{{ValueKind::String, "a sekrit here"}}, {}};
    EXPECT_EQ(groups.label(row.view()).find("sekrit"), std::string::npos)
        << groups.label(row.view());
}

TEST(PageContinuity, AnOffsetPageMustStartOnThePreviousPagesLastRow) {
    PageContinuity c = offset_rows();
    c.start_page("URL1", 0, true);
    TestRow a = id_row("1", "row-a"), b = id_row("2", "row-b"), d = id_row("4", "row-d");
    EXPECT_TRUE(c.first_row(a.view()));
    c.hold_last_row(page_of({a, b}, 2));
    c.finish_page(true);

    c.start_page("URL2", 1, false);
    EXPECT_FALSE(c.first_row(b.view())) << "the previous page's row is not this page's";
    c.hold_last_row(page_of({d}, 2));
    c.finish_page(true);

    c.start_page("URL3", 2, false);
    try {
        c.first_row(b.view());
        FAIL() << "expected an error";
    } catch (const Error &e) {
        EXPECT_STREQ(e.what(), "the portal's rows moved while the query read them by $offset");
        EXPECT_EQ(e.detail(), "The page at $offset=2 starts with row identifier \"row-b\", not "
                              "with the row that ended the page before (row identifier "
                              "\"row-d\"). URL: URL3.");
    }
}

TEST(PageContinuity, AnOffsetPageWithoutThePreviousPagesLastRowIsAnError) {
    PageContinuity c = offset_rows();
    c.start_page("URL1", 0, true);
    TestRow a = id_row("1", "row-a");
    c.first_row(a.view());
    c.hold_last_row(page_of({a}, 2));
    c.finish_page(true);
    c.start_page("URL2", 0, false);
    EXPECT_THROW(c.finish_page(false), Error) << "an empty response, where row-a had to come";
}

TEST(PageContinuity, AKeysetPageMayNotStartWithARowOfThePreviousPage) {
    PageContinuity c(true, {1}, true, 2, "sekrit");
    TestRow a = id_row("1", "row-a"), b = id_row("2", "row-b"), d = id_row("4", "row-d");
    c.start_page("URL1", 0, true);
    EXPECT_TRUE(c.first_row(a.view()));
    c.add(a.view());
    c.add(b.view());
    c.hold_last_row(page_of({a, b}, 2));
    c.finish_page(true);
    EXPECT_EQ(c.last_key(), "row-b") << "the keyset position";

    c.start_page("URL2", 0, false);
    EXPECT_TRUE(c.first_row(d.view()));
    c.start_page("URL2", 0, false);
    try {
        c.first_row(b.view());
        FAIL() << "expected an error";
    } catch (const Error &e) {
        EXPECT_STREQ(e.what(),
                     "the portal sent a row twice, in a page and at the start of the next");
    }
    try {
        c.first_row(a.view());
        FAIL() << "expected an error";
    } catch (const Error &e) {
        EXPECT_STREQ(e.what(), "the portal sent its first page again");
    }
}

TEST(PageContinuity, RowsNothingTellsApartAreNotChecked) {
    PageContinuity c(false, {}, false, 1, "");
    TestRow one{{{ValueKind::Number, "7"}}, {}};
    c.start_page("URL1", 0, true);
    EXPECT_TRUE(c.first_row(one.view()));
    c.hold_last_row(page_of({one}, 1));
    c.finish_page(true);
    c.start_page("URL2", 1, false);
    EXPECT_TRUE(c.first_row(one.view()));
    EXPECT_NO_THROW(c.finish_page(false));
}

// Pages checked by row identifier need one on every page's last row: without it the next
// keyset page could not be asked for, and an offset page could not be checked.
TEST(PageContinuity, ARowWithoutItsIdentifierIsAnError) {
    PageContinuity c = offset_rows();
    c.start_page("URL1", 0, true);
    TestRow a = id_row("1", "row-a");
    TestRow no_id{{{ValueKind::Number, "2"}, {ValueKind::Null, ""}}, {}};
    EXPECT_TRUE(c.first_row(a.view()));
    try {
        c.hold_last_row(page_of({a, no_id}, 2));
        FAIL() << "expected an error";
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::Protocol);
        EXPECT_STREQ(e.what(), "Socrata rows came without a row identifier (:id)");
        EXPECT_EQ(e.detail(), "URL: URL1.");
    }
}
