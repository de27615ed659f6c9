// Whether each page of a scan starts where the page before it ended. A server, or a cache in
// front of it, that ignores the paging condition or $offset would otherwise have a scan read
// rows twice or a page for ever; rows added to or deleted from the dataset ahead of an $offset
// would have it repeat or skip rows. PageFetcher feeds it each response's first row and each
// page's last row; it keeps what it needs of the previous page and throws a Protocol error.
#pragma once

#include "error.hpp"
#include "page.hpp"
#include "row_view.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace socrata {

class PageContinuity {
  public:
    // `keyset`: pages follow `:id > last`; otherwise they follow $offset in a total order.
    // `key_slots`: the values, of a row's `slots`, that tell it from the others: its :id
    // (`key_is_row_id`), or a group's grouping keys. None (rows nothing tells apart) turns every
    // check off.
    PageContinuity(bool keyset, std::vector<std::size_t> key_slots, bool key_is_row_id,
                   std::size_t slots, std::string app_token);

    // Whether rows can be told apart, so that pages are checked at all.
    bool tells_rows_apart() const noexcept { return unique_rows_; }

    // Whether a page starts one row early, on the previous page's last row: offset pages after
    // the first, of rows that can be told apart. Rows added to or deleted from the dataset ahead
    // of the position between two pages move every later row, so the page would repeat or skip
    // rows: that row is how the check finds out. It costs one row more per page; keyset paging
    // needs none (it cannot skip or repeat).
    bool overlaps(bool first_page) const noexcept {
        return !keyset_ && unique_rows_ && !first_page;
    }

    // Before a page's first request.
    void start_page(std::string shown_url, std::int64_t offset, bool first_page);
    // A retried request sends the page from its start; rows already handed on stay counted.
    void restart_page(std::size_t rows_kept);

    // Checks a response's first row. False when it is the previous page's last row, sent again
    // for the check, which the page must not hold.
    bool first_row(const RowView &row);
    // Notes a row the page holds (keyset paging keeps a hash of each row's :id).
    void add(const RowView &row) {
        if (keyset_)
            page_ids_.push_back(hash(key(row)));
    }
    // Takes the key and label of `page`'s last row, before the page is handed on.
    void hold_last_row(const Page &page);
    const std::string &held_key() const noexcept { return held_key_; }
    const std::string &held_label() const noexcept { return held_label_; }
    // After the response: the held row becomes the previous page's last (when the page had
    // rows). Throws if the previous page's last row, which the response had to start with,
    // never came.
    void finish_page(bool had_rows);

    // The previous page's last :id: the keyset position (empty before the first page).
    const std::string &last_key() const noexcept { return last_key_; }

    // What tells a row from the others (valid until the next call), and how an error names it.
    std::string_view key(const RowView &row);
    std::string label(const RowView &row);

  private:
    static std::uint64_t hash(std::string_view key) noexcept;
    std::string quoted(std::string_view text) const;
    void check_keyset_start(const RowView &row);
    Error rows_moved(const std::string &found) const;

    const bool keyset_;
    const std::vector<std::size_t> key_slots_;
    const bool key_is_row_id_;
    const bool unique_rows_;
    const std::size_t slots_;
    const std::string app_token_; // masked wherever a row's text is quoted

    // The page being read.
    std::string shown_url_;
    std::int64_t offset_ = 0;
    bool first_page_ = true;
    bool overlap_ = false;
    bool overlap_seen_ = false;
    std::string held_key_;
    std::string held_label_;

    std::string first_key_; // the first page's first row, which no later page may start with
    std::string last_key_;  // the previous page's last row, and how errors name it
    std::string last_label_;
    // Keyset paging: hashes of the :ids of the page being read, and of the previous page, whose
    // rows the next page must not start with.
    std::vector<std::uint64_t> page_ids_;
    std::vector<std::uint64_t> previous_ids_;
    std::string key_buffer_;
    std::vector<FieldValue> held_values_;
};

} // namespace socrata
