#include "page_fetcher.hpp"

#include "csv_row_decoder.hpp"
#include "error.hpp"
#include "json_row_decoder.hpp"
#include "redact.hpp"
#include "text_snippet.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

namespace socrata {

namespace {

const char kRowIdField[] = ":id";

// The name a $select item has in the response: its alias, else the field itself.
std::string output_field_name(const std::string &item) {
    auto as = item.rfind(" AS ");
    std::string name = as == std::string::npos ? item : item.substr(as + 4);
    if (name.size() >= 2 && name.front() == '`' && name.back() == '`')
        name = name.substr(1, name.size() - 2);
    return name;
}

// The query's parameters as a person reads them (not percent-encoded), for EXPLAIN.
std::string describe_query(const SoqlQuery &q) {
    std::string text;
    auto add = [&text](const char *name, const std::string &value) {
        if (!value.empty())
            text += (text.empty() ? "" : "&") + std::string(name) + "=" + value;
    };
    std::string select;
    for (const auto &item : q.select)
        select += (select.empty() ? "" : ",") + item;
    add("$select", select);
    add("$where", q.where);
    add("$group", q.group);
    add("$having", q.having);
    add("$order", q.order);
    if (q.limit)
        add("$limit", std::to_string(*q.limit));
    if (q.offset && *q.offset > 0)
        add("$offset", std::to_string(*q.offset));
    return text;
}

// The decoder of the request's format; both push the same rows into the page.
class BodyDecoder {
  public:
    BodyDecoder(bool csv, const std::vector<std::string> &fields, RowCallback on_row,
                std::string source) {
        if (csv)
            csv_.emplace(fields, std::move(on_row), std::move(source));
        else
            json_.emplace(fields, std::move(on_row), std::move(source));
    }
    void feed(const char *data, std::size_t size) {
        if (csv_)
            csv_->feed(data, size);
        else
            json_->feed(data, size);
    }
    void finish() {
        if (csv_)
            csv_->finish();
        else
            json_->finish();
    }

  private:
    std::optional<JsonRowDecoder> json_;
    std::optional<CsvRowDecoder> csv_;
};

// A row identifier as a 64-bit hash: a page's worth of them is 8 bytes a row, and a false match
// (an error on a good page) has odds of about one in 10^15 per page of 10,000.
std::uint64_t id_hash(std::string_view id) {
    return std::hash<std::string_view>{}(id);
}

// What a page's values take in its arena, per value, on average: the crimes dataset's
// columns average 8 bytes with their terminators.
constexpr std::size_t kBytesPerValue = 8;

const char *format_of(const ScanRequest &request) {
    return request.csv ? "csv" : "json";
}

} // namespace

PageFetcher::PageFetcher(SodaClient &client, ScanRequest request, int page_size)
    : client_(client), request_(std::move(request)), page_size_(std::max(1, page_size)),
      // Plain rows have an :id; grouped and aggregate rows (count(*) AS n) have none.
      rows_carry_id_(
          request_.keyset ||
          (request_.group.empty() && std::none_of(request_.select.begin(), request_.select.end(),
                                                  [](const std::string &item) {
                                                      return item.find('(') != std::string::npos;
                                                  }))),
      // Grouped rows are unique by their values: they hold every grouping expression.
      rows_are_unique_(rows_carry_id_ || !request_.group.empty()) {}

void PageFetcher::restart() {
    returned_ = 0;
    last_key_.clear();
    last_label_.clear();
    previous_ids_.clear();
    done_ = false;
}

// Offset pages after the first start one row early, on the row that ended the page before.
// Rows added to or deleted from the dataset ahead of the position between two pages move every
// later row: the page would repeat or skip rows, and this is how the fetcher finds out. A row
// more per page costs nothing measurable; keyset paging needs none (it cannot skip or repeat).
bool PageFetcher::overlaps_previous_page() const noexcept {
    return !request_.keyset && rows_are_unique_ && returned_ > 0;
}

SoqlQuery PageFetcher::page_query() const {
    SoqlQuery q;
    q.select = request_.select;
    q.group = request_.group;
    std::int64_t want = page_size_;
    if (request_.limit >= 0)
        want = std::min<std::int64_t>(want, request_.limit - returned_);
    const bool overlap = overlaps_previous_page();
    q.limit = want + (overlap ? 1 : 0);

    // The row identifier rides along as the last slot: the keyset paging key, and in either
    // paging what shows that a page starts where it should. A column that reads it already asks
    // for it (Socrata refuses a name selected twice).
    if (rows_carry_id_ &&
        std::find(q.select.begin(), q.select.end(), kRowIdField) == q.select.end())
        q.select.push_back(kRowIdField);
    if (request_.keyset) {
        q.order = kRowIdField;
        q.where = request_.where;
        if (!last_key_.empty()) {
            std::string after = std::string(kRowIdField) + " > " + quote_literal(last_key_);
            q.where = q.where.empty() ? after : "(" + q.where + ") AND " + after;
        }
        if (request_.offset > 0 && returned_ == 0)
            q.offset = request_.offset;
    } else {
        q.where = request_.where;
        // Offset paging needs a total order: the requested one, then the row identifier
        // (grouped rows have none, but their groups are unique; an ungrouped aggregate is one
        // row).
        q.order = request_.order;
        if (rows_carry_id_)
            q.order += (q.order.empty() ? "" : ", ") + std::string(kRowIdField);
        const std::int64_t offset = request_.offset + returned_ - (overlap ? 1 : 0);
        if (offset > 0)
            q.offset = offset;
    }
    if (q.select.empty())
        q.select.push_back(kRowIdField);
    q.select = select_for_url(q.select, request_.star_returns_all);
    return q;
}

bool PageFetcher::next(Page &page) {
    return fetch(page, 0, nullptr);
}

bool PageFetcher::next_in_chunks(Page &chunk, std::size_t chunk_rows, const ChunkSink &publish) {
    return fetch(chunk, std::max<std::size_t>(1, chunk_rows), &publish);
}

bool PageFetcher::fetch(Page &page, std::size_t chunk_rows, const ChunkSink *publish) {
    if (done_)
        return false;
    if (request_.limit >= 0 && returned_ >= request_.limit) {
        done_ = true;
        return false;
    }
    SoqlQuery q = page_query();
    const ScanSettings &settings = client_.settings();
    std::string url =
        build_resource_url(settings.base_url, settings.dataset, format_of(request_), q);
    const std::string shown_url = redact(url, settings.app_token);

    // One slot per requested item, then the paging key: the decoder fills slots by field name,
    // so :id can fill two when a column reads it too.
    std::vector<std::string> fields;
    fields.reserve(request_.select.size() + 1);
    for (const auto &item : request_.select)
        fields.push_back(output_field_name(item));
    if (rows_carry_id_ || fields.empty())
        fields.emplace_back(kRowIdField);
    const std::size_t slots = rows_carry_id_ ? request_.select.size() + 1 : request_.select.size();
    const bool overlap = overlaps_previous_page();
    const auto limit = static_cast<std::size_t>(*q.limit); // rows the response may hold
    const std::size_t wanted = limit - (overlap ? 1 : 0);  // of which this page's own
    // Chunks double in size through a page: the first rows go out early, and a page costs a few
    // handovers (1,000 + 2,000 + 4,000 + 3,000 rows for 10,000), not one per 1,000 rows, which
    // slowed a CSV scan by 20% (docs/benchmark.md).
    std::size_t chunk_target = chunk_rows;
    auto fill_rows = [&] { return publish ? std::min(chunk_target, wanted) : wanted; };
    auto start_filling = [&] {
        page.reset(slots);
        page.reserve(fill_rows(), fill_rows() * slots * kBytesPerValue);
    };

    auto quoted = [&](std::string_view text) {
        return redact(printable_snippet(text, 100), settings.app_token);
    };
    // What tells a row from the others: its :id, else (a group) all its values with their kinds.
    std::string key_buffer;
    auto row_key = [&](const RowView &row) -> std::string_view {
        if (rows_carry_id_)
            return row.size() >= slots ? row[slots - 1].text : std::string_view();
        key_buffer.clear();
        for (std::size_t i = 0; i < row.size(); ++i) {
            key_buffer += static_cast<char>('0' + static_cast<int>(row[i].kind));
            key_buffer.append(row[i].text);
            key_buffer += '\x1f';
        }
        return key_buffer;
    };
    // How an error names the row: its :id, or a group's values.
    auto row_label = [&](const RowView &row) {
        if (rows_carry_id_)
            return "Row identifier " + quoted(row_key(row));
        std::string values;
        for (std::size_t i = 0; i < row.size(); ++i)
            values +=
                (i ? ", " : "") + (row[i].is_null() ? std::string("null") : quoted(row[i].text));
        return "Row " + values;
    };
    // The key and label of the last row a page holds, taken before the page is handed on.
    std::string held_last_key;
    std::string held_last_label;
    std::vector<FieldValue> held_values(slots);
    auto hold_last_row = [&](const Page &p) {
        const std::size_t r = p.rows() - 1;
        for (std::size_t s = 0; s < slots; ++s)
            held_values[s] = {p.kind(r, s), p.text(r, s)};
        const RowView row(held_values.data(), slots, r, 0);
        held_last_key = std::string(row_key(row));
        if (rows_carry_id_ && held_last_key.empty())
            throw Error(ErrorKind::Protocol, "Socrata rows came without a row identifier (:id)",
                        "URL: " + shown_url);
        held_last_label = row_label(row);
    };

    page_ids_.clear();
    std::size_t handed_on = 0;  // rows of this page already given to `publish`
    std::string handed_on_last; // the key of the last of them
    std::size_t to_skip = 0;    // after a retry: rows of the new response already handed on
    bool overlap_seen = false;  // the response's first row, the previous page's last, was checked
    auto rows_changed_on_retry = [&](const std::string &what) {
        return Error(ErrorKind::Protocol,
                     "the portal's rows changed while a page was being retried",
                     what + "; URL: " + shown_url, "Run the query again.");
    };
    // Keyset paging: a page must start after the previous one. A server, or a cache in front of
    // it, that ignores the paging condition would otherwise send rows again, or a page forever.
    auto check_page_start = [&](const RowView &row) {
        const std::string_view id = row_key(row);
        // One search a page: a pass over the previous page's hashes costs less than sorting them.
        if (id.empty() || (id != first_key_ && std::find(previous_ids_.begin(), previous_ids_.end(),
                                                         id_hash(id)) == previous_ids_.end()))
            return;
        throw Error(ErrorKind::Protocol,
                    id == first_key_ ? "the portal sent its first page again"
                                     : "the portal sent a row twice, in a page and at the start "
                                       "of the next",
                    row_label(row) + "; URL: " + shown_url,
                    "The server, or a proxy in front of it, did not apply the paging condition "
                    ":id > " +
                        quoted(last_key_) + ".");
    };
    // Offset paging: the response starts with the previous page's last row, or the rows ahead
    // of the position moved (or the server ignored $offset).
    auto offset_moved = [&](const std::string &found) {
        return Error(ErrorKind::Protocol,
                     "the portal's rows moved while the query read them by $offset",
                     "The page at $offset=" + std::to_string(*q.offset) + " starts with " + found +
                         ", not with the row that ended the page before (" + last_label_ +
                         "); URL: " + shown_url,
                     "Rows were added to or deleted from the dataset ahead of that position while "
                     "the query was reading it, or the server, or a proxy in front of it, did not "
                     "apply $offset. Run the query again.");
    };
    auto check_overlap = [&](const RowView &row) {
        const std::string_view key = row_key(row);
        if (key == last_key_)
            return;
        // Rows added ahead, or a server that ignores $offset, can bring back the first row.
        throw offset_moved(row_label(row) +
                           (key == first_key_ ? ", the first page's first row" : ""));
    };
    auto on_row = [&](const RowView &row) {
        // More rows than $limit would grow a page without bound and pass a pushed-down LIMIT.
        if (row.row_index() >= limit)
            throw Error(ErrorKind::Protocol,
                        "the portal sent more than the " + std::to_string(limit) +
                            " rows a page asked for",
                        "URL: " + shown_url);
        if (rows_are_unique_ && row.row_index() == 0) {
            if (returned_ == 0) {
                first_key_ = std::string(row_key(row));
            } else if (overlap) {
                check_overlap(row);
                overlap_seen = true;
                return; // the previous page's row, not this page's
            } else {
                check_page_start(row);
            }
        }
        if (to_skip > 0) {
            // Pages are in a total order (ending with :id, or the groups'), so the same request
            // sends the same rows unless the portal's data changed in between; check where the
            // handed-on rows end.
            if (--to_skip == 0 && rows_are_unique_ && row_key(row) != handed_on_last)
                throw rows_changed_on_retry("Row " + std::to_string(handed_on) +
                                            " of the retried page was " + held_last_label +
                                            " before the retry; now " + row_label(row));
            return;
        }
        if (request_.keyset)
            page_ids_.push_back(id_hash(row_key(row)));
        page.append(row);
        if (publish && page.rows() == chunk_target) {
            if (rows_are_unique_) {
                hold_last_row(page);
                handed_on_last = held_last_key;
            }
            handed_on += page.rows();
            (*publish)(page);
            chunk_target *= 2;
            start_filling();
        }
    };

    std::optional<BodyDecoder> decoder;
    client_.stream(
        url,
        [&] {
            // A retried request starts over with a fresh decoder; rows already handed on are
            // skipped, the others decoded again.
            start_filling();
            page_ids_.resize(std::min(page_ids_.size(), handed_on));
            to_skip = handed_on;
            decoder.emplace(request_.csv, fields, on_row, shown_url);
        },
        [&](const char *data, std::size_t size) { decoder->feed(data, size); });
    redacting_errors(settings.app_token, [&] { decoder->finish(); }); // may quote the body
    if (overlap && !overlap_seen)
        throw offset_moved("no row");
    if (to_skip > 0)
        throw rows_changed_on_retry("The retried page has fewer rows than the " +
                                    std::to_string(handed_on) + " already read");

    const std::size_t rows = handed_on + page.rows();
    auto &stats = client_.stats();
    ++stats.pages;
    stats.rows += rows;
    returned_ += static_cast<std::int64_t>(rows);
    if (rows < wanted)
        done_ = true;
    if (rows_are_unique_ && rows > 0) {
        if (page.rows() > 0)
            hold_last_row(page);
        last_key_ = std::move(held_last_key);
        last_label_ = std::move(held_last_label);
    }
    previous_ids_.swap(page_ids_);
    if (publish && page.rows() > 0) {
        (*publish)(page);
        page.reset(slots);
    }
    return rows > 0;
}

std::string PageFetcher::describe() const {
    PageFetcher first(client_, request_, page_size_);
    return describe_query(first.page_query());
}

std::string PageFetcher::first_request_path() const {
    PageFetcher first(client_, request_, page_size_);
    SoqlQuery q = first.page_query();
    return "/resource/" + client_.settings().dataset + "." + format_of(request_) + "?" +
           q.to_query_string();
}

} // namespace socrata
