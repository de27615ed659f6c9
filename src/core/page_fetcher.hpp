// Paging through one SODA query: builds each page's request, sends it with retries (through
// SodaClient), decodes the body as it streams in, and stops after the last page.
#pragma once

#include "fdw_options.hpp"
#include "page.hpp"
#include "scan_request.hpp"
#include "soda_client.hpp"
#include "soql.hpp"

#include <memory>
#include <string>

namespace socrata {

class PageFetcher {
  public:
    PageFetcher(SodaClient &client, ScanRequest request, int page_size);

    // Fills `page` with the next rows (at most page_size); false once every row was returned.
    bool next(Page &page);
    // Starts again from the first page (a rescan).
    void restart();

    // The SoQL parameters of the first page, decoded, e.g. "$select=id, date&$where=..."
    std::string describe() const;
    // The path and query string of the first page, as sent (URL-encoded).
    std::string first_request_path() const;

    // Slots of the page that hold the request's select items (the rest is paging state).
    std::size_t value_slots() const noexcept { return request_.select.size(); }

  private:
    SoqlQuery page_query() const;

    SodaClient &client_;
    ScanRequest request_;
    int page_size_;
    std::int64_t returned_ = 0; // rows handed out so far
    std::string last_id_;       // keyset position
    bool done_ = false;
};

} // namespace socrata
