#include "page_fill.hpp"

#include <algorithm>

namespace socrata {

namespace {

// What a page's values take in its arena, per value, on average: the crimes dataset's
// columns average 8 bytes with their terminators.
constexpr std::size_t kBytesPerValue = 8;

} // namespace

PageFill::PageFill(Page &page, PageContinuity &continuity, std::size_t slots, std::size_t limit,
                   std::size_t wanted, std::size_t chunk_rows, const ChunkSink *publish,
                   const std::string &shown_url)
    : page_(page), continuity_(continuity), slots_(slots), limit_(limit), wanted_(wanted),
      chunk_target_(chunk_rows), publish_(publish), shown_url_(shown_url) {}

void PageFill::start_filling() {
    const std::size_t rows = publish_ ? std::min(chunk_target_, wanted_) : wanted_;
    page_.reset(slots_);
    page_.reserve(rows, rows * slots_ * kBytesPerValue);
}

void PageFill::restart() {
    // Rows already handed on are skipped, the others decoded again.
    start_filling();
    continuity_.restart_page(handed_on_);
    to_skip_ = handed_on_;
}

Error PageFill::rows_changed_on_retry(const std::string &what) const {
    return Error(ErrorKind::Protocol, "the portal's rows changed while a page was being retried",
                 what + ". URL: " + shown_url_ + ".", "Run the query again.");
}

void PageFill::add(const RowView &row) {
    // More rows than $limit would grow a page without bound and pass a pushed-down LIMIT.
    if (row.row_index() >= limit_)
        throw Error(ErrorKind::Protocol,
                    "the portal sent more than the " + std::to_string(limit_) +
                        " rows a page asked for",
                    "URL: " + shown_url_ + ".");
    if (row.row_index() == 0 && !continuity_.first_row(row))
        return; // the previous page's last row, sent again to show where this page starts
    if (to_skip_ > 0) {
        // Pages are in a total order (ending with :id, or the groups'), so the same request
        // sends the same rows unless the portal's data changed in between; check where the
        // handed-on rows end (the last row held is the last handed on).
        if (--to_skip_ == 0 && continuity_.tells_rows_apart() &&
            continuity_.key(row) != continuity_.held_key())
            throw rows_changed_on_retry("Row " + std::to_string(handed_on_) +
                                        " of the retried page was " + continuity_.held_label() +
                                        " before the retry; now " + continuity_.label(row));
        return;
    }
    continuity_.add(row);
    page_.append(row);
    // Chunks double in size through a page: the first rows go out early, and the page costs a
    // few handovers (1,000 + 2,000 + 4,000 + 3,000 rows for 10,000), not ten. Only a scan's
    // first page is handed over in chunks at all (BackgroundFetcher; docs/benchmark.md).
    if (publish_ && page_.rows() == chunk_target_) {
        continuity_.hold_last_row(page_);
        handed_on_ += page_.rows();
        (*publish_)(page_);
        chunk_target_ *= 2;
        start_filling();
    }
}

std::size_t PageFill::finish() {
    if (to_skip_ > 0)
        throw rows_changed_on_retry("The retried page has fewer rows than the " +
                                    std::to_string(handed_on_) + " already read");
    continuity_.hold_last_row(page_);
    return handed_on_ + page_.rows();
}

} // namespace socrata
