// Paging through one SODA query: builds each page's request, sends it with retries (through
// SodaClient), decodes the body as it streams in, and stops after the last page.
#pragma once

#include "page.hpp"
#include "page_continuity.hpp"
#include "page_fill.hpp"
#include "scan_request.hpp"
#include "soda_client.hpp"
#include "soql.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace socrata {

class PageFetcher {
  public:
    PageFetcher(SodaClient &client, ScanRequest request, int page_size);

    // Fills `page` with the next rows (at most page_size); false once every row was returned.
    bool next(Page &page);

    // Takes the rows of a chunk: swaps `chunk` with an empty page it may reuse.
    using ChunkSink = PageFill::ChunkSink;
    // Like next, but hands the page's rows to `publish` while the page is still arriving, in
    // chunks of chunk_rows rows, then twice, four times as many... (the last one may be
    // shorter), so the caller can start on the first rows before the portal has sent the rest.
    // If a transfer fails after some chunks were handed on, the retry skips the rows already
    // handed on, after checking that the portal sends the same row at that point. `chunk` is
    // the page being filled.
    bool next_in_chunks(Page &chunk, std::size_t chunk_rows, const ChunkSink &publish);

    // The SoQL parameters of the first page, decoded, e.g. "$select=id, date&$where=..."
    std::string describe() const;
    // The path and query string of the first page, as sent (URL-encoded), base_url's own path
    // included; the app token masked should a literal spell it (redact()).
    std::string first_request_path() const;

    // Slots of the page that hold the request's select items (the rest is paging state).
    std::size_t value_slots() const noexcept { return request_.select.size(); }

  private:
    // Whether the next page starts one row early, on the previous page's last row
    // (PageContinuity::overlaps).
    bool overlaps_previous_page() const noexcept;
    SoqlQuery page_query() const;
    // A page's request URL, and the same with the app token masked, for messages.
    struct PageUrl {
        std::string sent;
        std::string shown;
    };
    PageUrl url_for(const SoqlQuery &q, std::string_view format) const;
    // The names the decoder fills a row's slots by: the select items' output names, then the
    // paging key.
    std::vector<std::string> slot_fields() const;
    bool fetch(Page &page, std::size_t chunk_rows, const ChunkSink *publish);
    // After a page with fewer rows than it wanted: whether it was the last one.
    bool short_page_is_last(BodyEnd body_end, std::size_t rows,
                            const std::vector<std::string> &fields, const std::string &shown_url);
    // Whether the portal holds rows past those returned so far: asks for the next one in JSON,
    // which shows where its body ends. For a short CSV page whose end nothing but a closed
    // connection showed (BodyEnd::ConnectionClosed).
    bool rows_follow(const std::vector<std::string> &fields);

    SodaClient &client_;
    ScanRequest request_;
    int page_size_;
    const bool rows_carry_id_;  // each row's :id rides along in a last slot
    const std::size_t slots_;   // values per row: the select items, then the :id if it rides along
    PageContinuity continuity_; // that each page starts where the one before ended
    std::int64_t returned_ = 0; // rows handed out so far
    bool done_ = false;
};

} // namespace socrata
