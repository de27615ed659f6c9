#include "page_continuity.hpp"

#include "redact.hpp"
#include "text_snippet.hpp"

#include <algorithm>
#include <functional>

namespace socrata {

PageContinuity::PageContinuity(bool keyset, std::vector<std::size_t> key_slots, bool key_is_row_id,
                               std::size_t slots, std::string app_token)
    : keyset_(keyset), key_slots_(std::move(key_slots)), key_is_row_id_(key_is_row_id),
      unique_rows_(!key_slots_.empty()), slots_(slots), app_token_(std::move(app_token)),
      held_values_(slots) {}

// A row identifier as a 64-bit hash: a page's worth of them is 8 bytes a row, and a false match
// (an error on a good page) has odds of about one in 10^15 per page of 10,000.
std::uint64_t PageContinuity::hash(std::string_view key) noexcept {
    return std::hash<std::string_view>{}(key);
}

std::string PageContinuity::quoted(std::string_view text) const {
    return redact(printable_snippet(text, 100), app_token_);
}

std::string_view PageContinuity::key(const RowView &row) {
    if (key_is_row_id_)
        return key_slots_[0] < row.size() ? row[key_slots_[0]].text : std::string_view();
    // A group's grouping keys, with their kinds. Not its aggregates: those change when rows are
    // added while the scan pages, but the group's place in the order does not.
    key_buffer_.clear();
    for (std::size_t slot : key_slots_) {
        if (slot >= row.size())
            break;
        key_buffer_ += static_cast<char>('0' + static_cast<int>(row[slot].kind));
        key_buffer_.append(row[slot].text);
        key_buffer_ += '\x1f';
    }
    return key_buffer_;
}

std::string PageContinuity::label(const RowView &row) {
    if (key_is_row_id_)
        return "row identifier " + quoted(key(row));
    std::string values;
    for (std::size_t slot : key_slots_)
        if (slot < row.size())
            values += (values.empty() ? "" : ", ") +
                      (row[slot].is_null() ? std::string("null") : quoted(row[slot].text));
    return "group " + values;
}

void PageContinuity::start_page(std::string shown_url, std::int64_t offset, bool first_page) {
    shown_url_ = std::move(shown_url);
    offset_ = offset;
    first_page_ = first_page;
    overlap_ = overlaps(first_page);
    overlap_seen_ = false;
    page_ids_.clear();
}

void PageContinuity::restart_page(std::size_t rows_kept) {
    page_ids_.resize(std::min(page_ids_.size(), rows_kept));
    // The retried response must show the overlap row again: an empty retry (the rows ahead
    // deleted meanwhile) is a page that starts with no row, not the end of the scan.
    overlap_seen_ = false;
}

bool PageContinuity::first_row(const RowView &row) {
    if (!unique_rows_)
        return true;
    if (first_page_) {
        first_key_ = std::string(key(row));
        return true;
    }
    if (!overlap_) {
        check_keyset_start(row);
        return true;
    }
    const std::string_view found = key(row);
    if (found != last_key_) {
        // Rows added ahead, or a server that ignores $offset, can bring back the first row.
        throw rows_moved(label(row) + (found == first_key_ ? ", the first page's first row" : ""));
    }
    overlap_seen_ = true;
    return false;
}

// Keyset paging: a page must start after the previous one.
void PageContinuity::check_keyset_start(const RowView &row) {
    const std::string_view id = key(row);
    // One search a page: a pass over the previous page's hashes costs less than sorting them.
    if (id.empty() || (id != first_key_ && std::find(previous_ids_.begin(), previous_ids_.end(),
                                                     hash(id)) == previous_ids_.end()))
        return;
    const bool first_again = id == first_key_;
    throw Error(ErrorKind::Protocol,
                first_again ? "the portal sent its first page again"
                            : "the portal sent a row twice, in a page and at the start of the next",
                "The row sent twice has " + label(row) + ". URL: " + shown_url_ + ".",
                "The server, or a proxy in front of it, did not apply the paging condition :id > " +
                    quoted(last_key_) + ".");
}

Error PageContinuity::rows_moved(const std::string &found) const {
    return Error(ErrorKind::Protocol,
                 "the portal's rows moved while the query read them by $offset",
                 "The page at $offset=" + std::to_string(offset_) + " starts with " + found +
                     ", not with the row that ended the page before (" + last_label_ +
                     "). URL: " + shown_url_ + ".",
                 "Rows were added to or deleted from the dataset ahead of that position while the "
                 "query was reading it, or the server, or a proxy in front of it, did not apply "
                 "$offset. Run the query again.");
}

void PageContinuity::hold_last_row(const Page &page) {
    if (!unique_rows_ || page.rows() == 0)
        return;
    const std::size_t r = page.rows() - 1;
    for (std::size_t s = 0; s < slots_; ++s)
        held_values_[s] = {page.kind(r, s), page.text(r, s)};
    const RowView row(held_values_.data(), slots_, r, 0);
    held_key_ = std::string(key(row));
    if (key_is_row_id_ && held_key_.empty())
        throw Error(ErrorKind::Protocol, "Socrata rows came without a row identifier (:id)",
                    "URL: " + shown_url_ + ".");
    held_label_ = label(row);
}

void PageContinuity::finish_page(bool had_rows) {
    if (overlap_ && !overlap_seen_)
        throw rows_moved("no row");
    if (unique_rows_ && had_rows) {
        last_key_ = held_key_;
        last_label_ = held_label_;
    }
    previous_ids_.swap(page_ids_);
}

} // namespace socrata
