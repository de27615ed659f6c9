// ANALYZE support: sample rows from the dataset so local statistics exist.
//
// totalrows comes from a remote count(*). When the dataset has no more rows than ANALYZE
// wants, all of them are read (keyset paging on :id); otherwise the sample is made of
// kChunks runs of consecutive rows (in :id order) starting at random offsets, which costs
// kChunks small requests instead of a full scan. Values become tuples through the column
// types' input functions, as in the executor (jsonb/json and point columns get the same
// conversions).
#include "fdw_callbacks.hpp"
#include "page_fetcher.hpp"
#include "pg_guard.hpp"
#include "soql.hpp"
#include "table_options.hpp"
#include "value_text.hpp"

extern "C" {
#include "common/pg_prng.h"
}

#include <algorithm>
#include <set>

namespace socrata::pg {

namespace {

constexpr int kChunks = 10;

bool cancel_requested() noexcept {
    return InterruptPending && (QueryCancelPending || ProcDiePending);
}

enum class TextForm { AsIs, Json, Point };

struct ColumnConversion {
    int column = 0; // 0-based attribute
    int item = 0;   // select item
    TextForm form = TextForm::AsIs;
    FmgrInfo input;
    Oid ioparam = InvalidOid;
    int32 typmod = -1;
};

class Sampler {
  public:
    Sampler(Relation relation, HeapTuple *rows, int targrows)
        : relation_(relation), rows_(rows), targrows_(targrows) {}

    int run(double *totalrows);

  private:
    void prepare();
    double remote_count(SodaClient &client);
    // Reads up to `limit` rows from `offset` (limit -1: all rows by keyset paging).
    void read(SodaClient &client, std::int64_t offset, std::int64_t limit);
    void add_row(const Page &page, std::size_t row);

    Relation relation_;
    HeapTuple *rows_;
    int targrows_;
    int count_ = 0;
    ForeignTableInfo table_;
    ScanRequest request_;
    std::vector<ColumnConversion> conversions_;
    std::vector<const char *> texts_;
    std::vector<std::string> scratch_;
};

void Sampler::prepare() {
    table_ = load_foreign_table(RelationGetRelid(relation_), GetUserId());
    TupleDesc desc = RelationGetDescr(relation_);
    for (const ColumnInfo &col : table_.columns) {
        if (col.dropped)
            continue;
        std::string item = socrata::quote_identifier(col.field);
        auto found = std::find(request_.select.begin(), request_.select.end(), item);
        if (found == request_.select.end())
            found = request_.select.insert(request_.select.end(), item);
        ColumnConversion conv;
        conv.column = col.attnum - 1;
        conv.item = static_cast<int>(found - request_.select.begin());
        Oid type = TupleDescAttr(desc, conv.column)->atttypid;
        conv.typmod = col.typmod;
        conv.form = (type == JSONBOID || type == JSONOID) ? TextForm::Json
                    : type == POINTOID                   ? TextForm::Point
                                                         : TextForm::AsIs;
        conversions_.push_back(conv);
    }
    for (ColumnConversion &conv : conversions_) {
        Oid type = TupleDescAttr(desc, conv.column)->atttypid;
        pg::call([&] {
            Oid func;
            getTypeInputInfo(type, &func, &conv.ioparam);
            fmgr_info(func, &conv.input);
        });
    }
}

double Sampler::remote_count(SodaClient &client) {
    ScanRequest request;
    request.select = {"count(*) AS row_count"};
    request.keyset = false;
    PageFetcher fetcher(client, request, 1);
    Page page;
    if (fetcher.next(page) && page.rows() > 0 && page.kind(0, 0) != ValueKind::Null)
        return std::stod(std::string(page.text(0, 0)));
    return 0;
}

void Sampler::add_row(const Page &page, std::size_t row) {
    if (count_ >= targrows_)
        return;
    TupleDesc desc = RelationGetDescr(relation_);
    int natts = desc->natts;
    std::size_t n = conversions_.size();
    texts_.assign(n, nullptr);
    scratch_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        int item = conversions_[i].item;
        ValueKind kind = page.kind(row, item);
        if (kind == ValueKind::Null)
            continue;
        switch (conversions_[i].form) {
        case TextForm::Json:
            texts_[i] = json_text_for(kind, page.text(row, item), scratch_[i]);
            break;
        case TextForm::Point:
            texts_[i] = point_text_for(kind, page.text(row, item), scratch_[i]);
            break;
        case TextForm::AsIs:
            texts_[i] = page.c_str(row, item);
            break;
        }
    }
    rows_[count_] = pg::call([&] {
        Datum *values = static_cast<Datum *>(palloc0(sizeof(Datum) * natts));
        bool *nulls = static_cast<bool *>(palloc(sizeof(bool) * natts));
        memset(nulls, true, sizeof(bool) * natts);
        for (std::size_t i = 0; i < n; ++i) {
            if (!texts_[i])
                continue;
            ColumnConversion &c = conversions_[i];
            values[c.column] = InputFunctionCall(&c.input, const_cast<char *>(texts_[i]),
                                                 c.ioparam, c.typmod);
            nulls[c.column] = false;
        }
        HeapTuple tuple = heap_form_tuple(desc, values, nulls);
        pfree(values);
        pfree(nulls);
        return tuple;
    });
    ++count_;
}

void Sampler::read(SodaClient &client, std::int64_t offset, std::int64_t limit) {
    ScanRequest request = request_;
    request.limit = limit;
    request.offset = offset;
    request.keyset = limit < 0; // a chunk at an offset: offset paging ordered by :id
    PageFetcher fetcher(client, request, client.settings().page_size);
    Page page;
    while (count_ < targrows_ && fetcher.next(page)) {
        for (std::size_t row = 0; row < page.rows(); ++row)
            add_row(page, row);
        pg::call([] { CHECK_FOR_INTERRUPTS(); });
    }
}

int Sampler::run(double *totalrows) {
    prepare();
    SodaClient client(table_.settings, cancel_requested);
    double total = remote_count(client);
    *totalrows = total;
    if (total <= targrows_) {
        read(client, 0, -1);
        return count_;
    }
    // kChunks runs of `chunk` rows at distinct random offsets (sorted, not overlapping).
    auto rows_total = static_cast<std::int64_t>(total);
    std::int64_t chunk = (targrows_ + kChunks - 1) / kChunks;
    std::int64_t slots = rows_total / chunk; // non-overlapping chunk positions
    std::set<std::int64_t> picked;
    while (static_cast<int>(picked.size()) < std::min<std::int64_t>(kChunks, slots)) {
        auto slot = static_cast<std::int64_t>(
            pg::call([&] { return pg_prng_uint64_range(&pg_global_prng_state, 0, slots - 1); }));
        picked.insert(slot);
    }
    for (std::int64_t slot : picked)
        read(client, slot * chunk, chunk);
    return count_;
}

int acquire_sample_rows(Relation relation, int elevel, HeapTuple *rows, int targrows,
                        double *totalrows, double *totaldeadrows) {
    return pg::entry([&]() -> int {
        *totaldeadrows = 0;
        Sampler sampler(relation, rows, targrows);
        int count = sampler.run(totalrows);
        pg::call([&] {
            ereport(elevel, (errmsg("\"%s\": dataset has %.0f rows; %d rows in sample",
                                    RelationGetRelationName(relation), *totalrows, count)));
        });
        return count;
    });
}

} // namespace

bool analyze_foreign_table(Relation, AcquireSampleRowsFunc *func, BlockNumber *totalpages) {
    *func = acquire_sample_rows;
    *totalpages = 1; // Socrata has no pages; ANALYZE only needs a non-zero number
    return true;
}

} // namespace socrata::pg
