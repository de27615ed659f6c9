#include "page_fetcher.hpp"

#include "csv_row_decoder.hpp"
#include "error.hpp"
#include "json_row_decoder.hpp"
#include "redact.hpp"

#include <algorithm>
#include <optional>

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

// What a page's values take in its arena, per value, on average: the crimes dataset's
// columns average 8 bytes with their terminators.
constexpr std::size_t kBytesPerValue = 8;

const char *format_of(const ScanRequest &request) {
    return request.csv ? "csv" : "json";
}

} // namespace

PageFetcher::PageFetcher(SodaClient &client, ScanRequest request, int page_size)
    : client_(client), request_(std::move(request)), page_size_(std::max(1, page_size)) {}

void PageFetcher::restart() {
    returned_ = 0;
    last_id_.clear();
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

    if (request_.keyset) {
        // The row identifier rides along as the last slot; it is the paging key.
        q.select.push_back(kRowIdField);
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
        // (aggregate rows have no :id, but their groups are unique).
        q.order = request_.order;
        // An ungrouped aggregate (count(*) AS n) is one row and has no :id to order by.
        bool aggregate = std::any_of(
            request_.select.begin(), request_.select.end(),
            [](const std::string &item) { return item.find('(') != std::string::npos; });
        if (request_.group.empty() && !aggregate)
            q.order += (q.order.empty() ? "" : ", ") + std::string(kRowIdField);
        if (request_.offset + returned_ > 0)
            q.offset = request_.offset + returned_;
    }
    if (q.select.empty())
        q.select.push_back(kRowIdField);
    return q;
}

bool PageFetcher::next(Page &page) {
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

    std::vector<std::string> fields;
    fields.reserve(q.select.size());
    for (const auto &item : q.select)
        fields.push_back(output_field_name(item));
    std::size_t slots = request_.keyset ? request_.select.size() + 1 : request_.select.size();

    std::optional<BodyDecoder> decoder;
    client_.stream(
        url,
        [&] {
            // A retried request starts over with an empty page and a fresh decoder.
            page.reset(slots);
            const auto rows = static_cast<std::size_t>(*q.limit);
            page.reserve(rows, rows * slots * kBytesPerValue);
            decoder.emplace(
                request_.csv, fields, [&page](const RowView &row) { page.append(row); },
                redact(url, settings.app_token));
        },
        [&](const char *data, std::size_t size) { decoder->feed(data, size); });
    decoder->finish();

    auto &stats = client_.stats();
    ++stats.pages;
    stats.rows += page.rows();
    returned_ += static_cast<std::int64_t>(page.rows());
    if (static_cast<std::int64_t>(page.rows()) < *q.limit)
        done_ = true;
    if (request_.keyset && page.rows() > 0) {
        std::string_view id = page.text(page.rows() - 1, slots - 1);
        if (id.empty())
            throw Error(ErrorKind::Protocol, "Socrata rows came without a row identifier (:id)",
                        "URL: " + redact(url, settings.app_token));
        last_id_.assign(id.data(), id.size());
    }
    return page.rows() > 0;
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
