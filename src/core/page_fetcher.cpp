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
    last_id_.clear();
    previous_ids_.clear();
    done_ = false;
}

SoqlQuery PageFetcher::page_query() const {
    SoqlQuery q;
    q.select = request_.select;
    q.group = request_.group;
    std::int64_t want = page_size_;
    if (request_.limit >= 0)
        want = std::min<std::int64_t>(want, request_.limit - returned_);
    q.limit = want;

    // The row identifier rides along as the last slot: the keyset paging key, and in either
    // paging what shows that a page starts where it should. A column that reads it already asks
    // for it (Socrata refuses a name selected twice).
    if (rows_carry_id_ &&
        std::find(q.select.begin(), q.select.end(), kRowIdField) == q.select.end())
        q.select.push_back(kRowIdField);
    if (request_.keyset) {
        q.order = kRowIdField;
        q.where = request_.where;
        if (!last_id_.empty()) {
            std::string after = std::string(kRowIdField) + " > " + quote_literal(last_id_);
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
        if (request_.offset + returned_ > 0)
            q.offset = request_.offset + returned_;
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
    const auto limit = static_cast<std::size_t>(*q.limit);
    // Chunks double in size through a page: the first rows go out early, and a page costs a few
    // handovers (1,000 + 2,000 + 4,000 + 3,000 rows for 10,000), not one per 1,000 rows, which
    // slowed a CSV scan by 20% (docs/benchmark.md).
    std::size_t chunk_target = chunk_rows;
    auto fill_rows = [&] { return publish ? std::min(chunk_target, limit) : limit; };

    // The row identifier of a page's last row, the keyset position of what follows it.
    auto last_row_id = [&](const Page &p) {
        std::string_view id = p.text(p.rows() - 1, slots - 1);
        if (id.empty())
            throw Error(ErrorKind::Protocol, "Socrata rows came without a row identifier (:id)",
                        "URL: " + shown_url);
        return std::string(id);
    };
    auto start_filling = [&] {
        page.reset(slots);
        page.reserve(fill_rows(), fill_rows() * slots * kBytesPerValue);
    };

    page_ids_.clear();
    std::size_t handed_on = 0;  // rows of this page already given to `publish`
    std::string handed_on_last; // the :id of the last of them, when rows carry one
    std::size_t to_skip = 0;    // after a retry: rows of the new response already handed on
    auto rows_changed_on_retry = [&](const std::string &what) {
        return Error(ErrorKind::Protocol,
                     "the portal's rows changed while a page was being retried",
                     what + "; URL: " + shown_url, "Run the query again.");
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
    // A page must start after the previous one. A server, or a cache in front of it, that
    // ignores the paging condition would otherwise send rows again, or a page forever.
    auto check_page_start = [&](const RowView &row) {
        const std::string_view id = row_key(row);
        if (returned_ == 0) {
            first_id_ = std::string(id);
            return;
        }
        // One search a page: a pass over the previous page's hashes costs less than sorting them.
        if (id.empty() || (id != first_id_ && std::find(previous_ids_.begin(), previous_ids_.end(),
                                                        id_hash(id)) == previous_ids_.end()))
            return;
        // Offset paging also repeats a row when rows are added ahead of the offset while it
        // pages: a sorted scan of a changing dataset, which only a new query can read whole.
        std::string hint =
            request_.keyset
                ? "The server, or a proxy in front of it, did not apply the paging condition "
                  ":id > " +
                      quoted(last_id_) + "."
                : "The server, or a proxy in front of it, did not apply $offset=" +
                      std::to_string(*q.offset) +
                      (id == first_id_ ? "."
                                       : ", or rows were added to the dataset while it was "
                                         "being read. Run the query again.");
        throw Error(ErrorKind::Protocol,
                    id == first_id_ ? "the portal sent its first page again"
                                    : "the portal sent a row twice, in a page and at the start "
                                      "of the next",
                    row_label(row) + "; URL: " + shown_url, std::move(hint));
    };
    auto on_row = [&](const RowView &row) {
        if (rows_are_unique_ && row.row_index() == 0)
            check_page_start(row);
        // More rows than $limit would grow a page without bound and pass a pushed-down LIMIT.
        if (row.row_index() >= limit)
            throw Error(ErrorKind::Protocol,
                        "the portal sent more than the " + std::to_string(limit) +
                            " rows a page asked for",
                        "URL: " + shown_url);
        if (to_skip > 0) {
            // Pages of plain rows are in a total order (ending with :id), so the same request
            // sends the same rows unless the portal's data changed in between; check where the
            // handed-on rows end.
            if (--to_skip == 0 && rows_carry_id_ &&
                (row.size() < slots || row[slots - 1].text != handed_on_last))
                throw rows_changed_on_retry("Row " + std::to_string(handed_on) +
                                            " of the retried page was " + handed_on_last +
                                            " before the retry");
            return;
        }
        if (rows_are_unique_)
            page_ids_.push_back(id_hash(row_key(row)));
        page.append(row);
        if (publish && page.rows() == chunk_target) {
            if (rows_carry_id_)
                handed_on_last = last_row_id(page);
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
    if (to_skip > 0)
        throw rows_changed_on_retry("The retried page has fewer rows than the " +
                                    std::to_string(handed_on) + " already read");

    const std::size_t rows = handed_on + page.rows();
    auto &stats = client_.stats();
    ++stats.pages;
    stats.rows += rows;
    returned_ += static_cast<std::int64_t>(rows);
    if (rows < limit)
        done_ = true;
    if (rows_carry_id_ && rows > 0)
        last_id_ = page.rows() > 0 ? last_row_id(page) : handed_on_last;
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
