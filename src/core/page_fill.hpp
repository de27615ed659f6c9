// Filling one page from one response and its retries (PageFetcher): rows go into the page,
// in chunks handed on as they fill when the caller asked for chunks; a retried response starts
// the page over and skips the rows already handed on, after checking that it sends the same row
// where they ended.
#pragma once

#include "error.hpp"
#include "page.hpp"
#include "page_continuity.hpp"
#include "row_view.hpp"

#include <cstddef>
#include <functional>
#include <string>

namespace socrata {

class PageFill {
  public:
    // Takes the rows of a chunk (PageFetcher::next_in_chunks).
    using ChunkSink = std::function<void(Page &chunk)>;

    // `limit`: the rows the response may hold; `wanted`: those of them that are the page's own
    // (one fewer when the page starts on the previous page's last row). With `publish`, the
    // first chunk holds `chunk_rows` rows and each next one twice as many. Keeps references to
    // page, continuity and shown_url, which must outlive it.
    PageFill(Page &page, PageContinuity &continuity, std::size_t slots, std::size_t limit,
             std::size_t wanted, std::size_t chunk_rows, const ChunkSink *publish,
             const std::string &shown_url);

    // A response (the first, or a retry) starts: an empty page, and the rows handed on to skip.
    void restart();
    // A row of the response, as the decoder reads it.
    void add(const RowView &row);
    // After the response's body: the page's rows, those handed on included. A retried response
    // that ended before the rows handed on is an error.
    std::size_t finish();

  private:
    void start_filling();
    Error rows_changed_on_retry(const std::string &what) const;

    Page &page_;
    PageContinuity &continuity_;
    const std::size_t slots_;
    const std::size_t limit_;
    const std::size_t wanted_;
    std::size_t chunk_target_;
    const ChunkSink *publish_;
    const std::string &shown_url_;
    std::size_t handed_on_ = 0; // rows of this page already given to publish_
    std::size_t to_skip_ = 0;   // after a retry: rows of the new response already handed on
};

} // namespace socrata
