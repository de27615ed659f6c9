#include "row_count.hpp"

#include "error.hpp"
#include "page.hpp"
#include "page_fetcher.hpp"
#include "redact.hpp"
#include "text_snippet.hpp"

namespace socrata {

double fetch_row_count(SodaClient &client, const std::string &where) {
    ScanRequest request;
    request.select = {"count(*) AS row_count"};
    request.where = where;
    request.keyset = false;
    PageFetcher fetcher(client, request, 1);
    Page page;
    if (fetcher.next(page) && page.rows() > 0 && page.kind(0, 0) != ValueKind::Null)
        // The value is the portal's text, which an error quotes: masked like the others.
        return redacting_errors(client.settings().app_token, [&] {
            return parse_row_count(page.text(0, 0), client.settings().dataset);
        });
    return 0;
}

double parse_row_count(std::string_view text, const std::string &dataset) {
    // A count has no sign, point or exponent; past 2^53 a double is still close enough for the
    // planner, so digits are read as a double without overflow.
    double count = 0;
    bool digits = !text.empty() && text.size() <= 20;
    for (char c : text) {
        if (c < '0' || c > '9') {
            digits = false;
            break;
        }
        count = count * 10 + (c - '0');
    }
    if (!digits)
        throw Error(ErrorKind::BadResponse,
                    "the portal's count of the rows of dataset \"" + dataset +
                        "\" is not a number: " + printable_snippet(text, 40),
                    {}, "A count is a string of digits, such as \"42\".");
    return count;
}

} // namespace socrata
