// ANALYZE support: sample rows from the dataset so local statistics exist.
//
// totalrows comes from a remote count(*). When the dataset has no more rows than ANALYZE
// wants, all of them are read (keyset paging on :id); otherwise the sample is made of
// analyze_sample_runs runs of consecutive rows (in :id order) starting at random offsets,
// which costs that many small requests instead of a full scan. Values become tuples through the
// column types' input functions, as in the executor (jsonb/json and point columns get the same
// conversions).
#include "fdw_callbacks.hpp"
#include "plan_state.hpp"
#include "remote_schema.hpp"
#include "page_fetcher.hpp"
#include "pg_guard.hpp"
#include "soql.hpp"
#include "table_options.hpp"
#include "row_count.hpp"
#include "row_converter.hpp"
#include "table_error_context.hpp"

extern "C" {
#include "common/pg_prng.h"
#include "optimizer/plancat.h"
#include "storage/proc.h"
}

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

namespace socrata::pg {

namespace {

// Rows converted between two checks for a cancel, within a page.
constexpr std::size_t kRowsBetweenInterruptChecks = 1000;

class Sampler {
  public:
    Sampler(Relation relation, HeapTuple *rows, int targrows)
        : relation_(relation), rows_(rows), targrows_(targrows) {}

    int run(double *totalrows);

  private:
    void prepare();
    // Reads up to `limit` rows from `offset` (limit -1: all rows by keyset paging).
    void read(SodaClient &client, std::int64_t offset, std::int64_t limit);
    void add_row(const Page &page, std::size_t row);

    Relation relation_;
    HeapTuple *rows_;
    int targrows_;
    int count_ = 0;
    ForeignTableInfo table_;
    ScanPlan plan_; // every column of the relation, read by keyset or offset pages
    std::unique_ptr<RowConverter> converter_;
    // A row's converted values (text, numeric, jsonb copies) live here until heap_form_tuple
    // has copied them into the sample; reset after each row. ANALYZE's own context lasts the
    // whole command, and would otherwise keep a second copy of every sampled value.
    MemoryContext row_context_ = nullptr;
    // One row's Datums and null flags, reused for every row (in ANALYZE's context).
    Datum *values_ = nullptr;
    bool *nulls_ = nullptr;
};

void Sampler::prepare() {
    table_ = load_foreign_table(RelationGetRelid(relation_), GetUserId());
    auto remote = remote_schema_for(table_.settings, SchemaUse::Sampling);
    adopt_field_spellings(table_, remote.get());
    RowScanColumns columns(plan_, table_);
    for (const ColumnInfo &col : table_.columns)
        if (!col.dropped)
            columns.add(col, col.attnum - 1);
    // As a scan of every column would: CSV where it reads the same as JSON, and a table of a
    // few hundred columns with `$select=*,:id` (select_for_url).
    columns.choose_response_form(remote.get());
    converter_ = std::make_unique<RowConverter>(RelationGetDescr(relation_), plan_.slot_columns,
                                                plan_.slot_items, CurrentMemoryContext,
                                                table_.settings.app_token);
    row_context_ = pg::call([] {
        return AllocSetContextCreate(CurrentMemoryContext, "socrata_fdw analyze row",
                                     ALLOCSET_DEFAULT_SIZES);
    });
    int natts = RelationGetDescr(relation_)->natts;
    pg::call([&] {
        values_ = static_cast<Datum *>(palloc(sizeof(Datum) * natts));
        nulls_ = static_cast<bool *>(palloc(sizeof(bool) * natts));
    });
}

void Sampler::add_row(const Page &page, std::size_t row) {
    if (count_ >= targrows_)
        return;
    TupleDesc desc = RelationGetDescr(relation_);
    converter_->convert(page, row, values_, nulls_, row_context_, table_.relname,
                        plan_.request.select.size());
    rows_[count_] = pg::call([&] {
        HeapTuple tuple = heap_form_tuple(desc, values_, nulls_); // in ANALYZE's context
        MemoryContextReset(row_context_);
        return tuple;
    });
    ++count_;
}

void Sampler::read(SodaClient &client, std::int64_t offset, std::int64_t limit) {
    ScanRequest request = plan_.request;
    request.limit = limit;
    request.offset = offset;
    request.keyset = limit < 0; // a chunk at an offset: offset paging ordered by :id
    PageFetcher fetcher(client, request, client.settings().page_size);
    Page page;
    while (count_ < targrows_ && fetcher.next(page)) {
        for (std::size_t row = 0; row < page.rows(); ++row) {
            add_row(page, row);
            // A page may hold up to a million rows (page_size): a cancel must not wait for all
            // of them to be converted.
            if (row % kRowsBetweenInterruptChecks == 0)
                pg::call([] { CHECK_FOR_INTERRUPTS(); });
        }
        pg::call([] { CHECK_FOR_INTERRUPTS(); });
    }
}

// The dataset row counts that analyze_foreign_table asked for, handed on to the samples of
// the same relations in the same transaction (the callbacks share no state of their own). An
// inheritance parent's ANALYZE asks for every child's count before it samples any.
struct CountsOfTransaction {
    LocalTransactionId transaction = InvalidLocalTransactionId;
    std::unordered_map<Oid, double> rows; // by relation
};

std::unordered_map<Oid, double> &counted_rows() {
    static CountsOfTransaction counted;
    if (counted.transaction != MyProc->lxid) {
        counted.transaction = MyProc->lxid;
        counted.rows.clear();
    }
    return counted.rows;
}

// The count analyze_foreign_table made for this relation in this transaction, once; else a
// new one.
double dataset_rows(Oid relid, SodaClient &client) {
    std::unordered_map<Oid, double> &counted = counted_rows();
    const auto it = counted.find(relid);
    if (it == counted.end())
        return fetch_row_count(client, {});
    const double rows = it->second;
    counted.erase(it);
    return rows;
}

int Sampler::run(double *totalrows) {
    prepare();
    SodaClient client(table_.settings, cancel_requested);
    double total = dataset_rows(RelationGetRelid(relation_), client);
    *totalrows = total;
    if (total <= targrows_) {
        read(client, 0, -1);
        return count_;
    }
    // `runs` runs of `chunk` rows at distinct random offsets (sorted, not overlapping).
    const std::int64_t runs = std::min(table_.settings.analyze_sample_runs, targrows_);
    auto rows_total = static_cast<std::int64_t>(total);
    std::int64_t chunk = (targrows_ + runs - 1) / runs;
    std::int64_t slots = rows_total / chunk; // non-overlapping chunk positions
    std::set<std::int64_t> picked;
    while (static_cast<std::int64_t>(picked.size()) < std::min(runs, slots)) {
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
    // An ANALYZE of several tables stops at the first error: the line says which table it was.
    // Pushed around pg::entry(), so the errors it raises after its body has returned carry it.
    // (The sampler loads the table's options again: its state cannot live in this frame.)
    const char *context_text = pg::entry([&] {
        return reading_table_context(load_foreign_table(RelationGetRelid(relation), GetUserId()));
    });
    ErrorContextCallback context;
    push_error_context(context, context_text);
    const int count = pg::entry([&]() -> int {
        *totaldeadrows = 0;
        Sampler sampler(relation, rows, targrows);
        return sampler.run(totalrows);
    });
    pop_error_context(context);
    pg::entry([&] {
        pg::call([&] {
            ereport(elevel, (errmsg("\"%s\": dataset has %.0f rows; %d rows in sample",
                                    RelationGetRelationName(relation), *totalrows, count)));
        });
    });
    return count;
}

} // namespace

// Socrata has no pages. An ANALYZE of a partitioned or inheritance parent shares its sample
// among the children by their pages (one page each gave a dataset of millions of rows the
// share of a local table's single page): the dataset's rows, in pages of the table's estimated
// row width. The count is the sample's too.
bool analyze_foreign_table(Relation relation, AcquireSampleRowsFunc *func,
                           BlockNumber *totalpages) {
    *func = acquire_sample_rows;
    *totalpages = 1;
    const Oid relid = RelationGetRelid(relation);
    // As the table's owner, whose user mapping the sample reads through: PostgreSQL switches
    // to the owner only after this callback (do_analyze_rel), and the count must come from the
    // same mapping as the rows.
    const Oid owner = relation->rd_rel->relowner;
    const char *context_text =
        pg::entry([&] { return reading_table_context(load_foreign_table(relid, owner)); });
    ErrorContextCallback context;
    push_error_context(context, context_text);
    pg::entry([&] {
        const ForeignTableInfo table = load_foreign_table(relid, owner);
        SodaClient client(table.settings, cancel_requested);
        const double rows = fetch_row_count(client, {});
        counted_rows()[relid] = rows;
        const double row_bytes = pg::call([&] { return get_relation_data_width(relid, nullptr); }) +
                                 MAXALIGN(SizeofHeapTupleHeader) + sizeof(ItemIdData);
        const double pages = std::ceil(rows * row_bytes / BLCKSZ);
        *totalpages = static_cast<BlockNumber>(std::clamp(pages, 1.0, double(MaxBlockNumber)));
    });
    pop_error_context(context);
    return true;
}

} // namespace socrata::pg
