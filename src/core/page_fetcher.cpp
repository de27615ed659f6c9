#include "page_fetcher.hpp"

#include "csv_row_decoder.hpp"
#include "error.hpp"
#include "json_row_decoder.hpp"
#include "redact.hpp"

#include <algorithm>
#include <optional>

namespace socrata {

namespace {

// A $select item is `expression` or `expression AS alias`.
const char kAliasSeparator[] = " AS ";

// The expression of a $select item, without its alias.
std::string select_expression(const std::string &item) {
    return item.substr(0, item.rfind(kAliasSeparator));
}

// The name a $select item has in the response: its alias, else the field itself.
std::string output_field_name(const std::string &item) {
    auto as = item.rfind(kAliasSeparator);
    std::string name =
        as == std::string::npos ? item : item.substr(as + sizeof kAliasSeparator - 1);
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
    // JSON shows its own end (the array's closing bracket); CSV does not (CsvRowDecoder).
    void finish(BodyEnd end) {
        if (csv_)
            csv_->finish(end == BodyEnd::Marked);
        else
            json_->finish();
    }

  private:
    std::optional<JsonRowDecoder> json_;
    std::optional<CsvRowDecoder> csv_;
};

// The slots whose values tell a row from the others: the :id that rides along last, or a
// group's grouping keys (the $select items that are $group expressions). None if some grouping
// key is not selected: the values would not tell groups apart.
std::vector<std::size_t> key_slots(const ScanRequest &request, bool rows_carry_id) {
    if (rows_carry_id)
        return {request.select.size()};
    const std::vector<std::string> keys = split_soql_list(request.group);
    std::vector<std::size_t> slots;
    for (std::size_t i = 0; i < request.select.size(); ++i)
        if (std::find(keys.begin(), keys.end(), select_expression(request.select[i])) != keys.end())
            slots.push_back(i);
    return slots.size() == keys.size() ? slots : std::vector<std::size_t>{};
}

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
      slots_(request_.select.size() + (rows_carry_id_ ? 1 : 0)),
      continuity_(request_.keyset, key_slots(request_, rows_carry_id_), rows_carry_id_, slots_,
                  client_.settings().app_token) {}

bool PageFetcher::overlaps_previous_page() const noexcept {
    return continuity_.overlaps(returned_ == 0);
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
        if (!continuity_.last_key().empty()) {
            std::string after =
                std::string(kRowIdField) + " > " + quote_literal(continuity_.last_key());
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

PageFetcher::PageUrl PageFetcher::url_for(const SoqlQuery &q, std::string_view format) const {
    const ScanSettings &settings = client_.settings();
    std::string url = build_resource_url(settings.base_url, settings.dataset, format, q);
    // Built from base_url (no user name, password or query: validated) and the user's values:
    // it holds the token nowhere the user did not write it.
    std::string shown = redact_whole(url, settings.app_token);
    return {std::move(url), std::move(shown)};
}

bool PageFetcher::next(Page &page) {
    return fetch(page, 0, nullptr);
}

bool PageFetcher::next_in_chunks(Page &chunk, std::size_t chunk_rows, const ChunkSink &publish) {
    return fetch(chunk, std::max<std::size_t>(1, chunk_rows), &publish);
}

std::vector<std::string> PageFetcher::slot_fields() const {
    // One slot per requested item, then the paging key: the decoder fills slots by field name,
    // so :id can fill two when a column reads it too.
    std::vector<std::string> fields;
    fields.reserve(request_.select.size() + 1);
    for (const auto &item : request_.select)
        fields.push_back(output_field_name(item));
    if (rows_carry_id_ || fields.empty())
        fields.emplace_back(kRowIdField);
    return fields;
}

bool PageFetcher::fetch(Page &page, std::size_t chunk_rows, const ChunkSink *publish) {
    if (done_)
        return false;
    if (request_.limit >= 0 && returned_ >= request_.limit) {
        done_ = true;
        return false;
    }
    SoqlQuery q = page_query();
    const PageUrl url = url_for(q, format_of(request_));
    const std::vector<std::string> fields = slot_fields();
    const auto limit = static_cast<std::size_t>(*q.limit); // rows the response may hold
    const std::size_t wanted = limit - (overlaps_previous_page() ? 1 : 0); // this page's own

    continuity_.start_page(url.shown, q.offset.value_or(0), returned_ == 0);
    PageFill fill(page, continuity_, slots_, limit, wanted, chunk_rows, publish, url.shown);
    std::optional<BodyDecoder> decoder;
    const BodyEnd body_end = client_.stream(
        url.sent,
        [&] {
            // A retried request starts over with a fresh decoder.
            fill.restart();
            decoder.emplace(
                request_.csv, fields, [&fill](const RowView &row) { fill.add(row); }, url.shown);
        },
        [&](const char *data, std::size_t size) { decoder->feed(data, size); });
    redacting_errors(client_.settings().app_token,
                     [&] { decoder->finish(body_end); }); // may quote the body
    const std::size_t rows = fill.finish();

    continuity_.finish_page(rows > 0);
    auto &stats = client_.stats();
    ++stats.pages;
    stats.rows += rows;
    returned_ += static_cast<std::int64_t>(rows);
    if (rows < wanted)
        done_ = short_page_is_last(body_end, rows, fields, url.shown);
    if (publish && page.rows() > 0) {
        (*publish)(page);
        page.reset(slots_);
    }
    return rows > 0;
}

bool PageFetcher::short_page_is_last(BodyEnd body_end, std::size_t rows,
                                     const std::vector<std::string> &fields,
                                     const std::string &shown_url) {
    // A short page is the last one, unless nothing but a closed connection ended a CSV body: a
    // connection cut at a line end would then pass for the end of the data.
    if (body_end == BodyEnd::Marked || !request_.csv || !rows_follow(fields))
        return true;
    if (rows == 0)
        throw Error(
            ErrorKind::BadResponse, "a CSV page of the portal's answer ended before its first row",
            std::string(kBodyEndNotMarked) + " Rows follow where it ended. URL: " + shown_url + ".",
            kCutShortHint);
    return false;
}

bool PageFetcher::rows_follow(const std::vector<std::string> &fields) {
    SoqlQuery q = page_query(); // where the next page would start
    if (overlaps_previous_page())
        q.offset = q.offset.value_or(0) + 1; // past the row the next page would repeat
    q.limit = 1;
    const PageUrl page_url = url_for(q, "json");
    std::size_t rows = 0;
    std::optional<JsonRowDecoder> decoder;
    client_.stream(
        page_url.sent,
        [&] {
            rows = 0;
            decoder.emplace(
                fields, [&](const RowView &) { ++rows; }, page_url.shown);
        },
        [&](const char *data, std::size_t size) { decoder->feed(data, size); });
    redacting_errors(client_.settings().app_token, [&] { decoder->finish(); });
    return rows > 0;
}

std::string PageFetcher::describe() const {
    PageFetcher first(client_, request_, page_size_);
    return describe_query(first.page_query());
}

std::string PageFetcher::first_request_path() const {
    PageFetcher first(client_, request_, page_size_);
    const std::string url = first.url_for(first.page_query(), format_of(request_)).shown;
    // What follows the scheme and host: base_url may have a path of its own.
    const std::size_t host = url.find("://");
    const std::size_t path = url.find('/', host == std::string::npos ? 0 : host + 3);
    return path == std::string::npos ? url : url.substr(path);
}

} // namespace socrata
