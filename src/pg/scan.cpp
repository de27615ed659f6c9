// Executor callbacks: run the planned SoQL query page by page and turn each decoded row into a
// tuple. The C++ scan state lives on the heap and is deleted with the query's memory context,
// so an ERROR (after which EndForeignScan is never called) leaks nothing.
#include "context_owned.hpp"
#include "fdw_callbacks.hpp"
#include "background_fetcher.hpp"
#include "page_fetcher.hpp"
#include "plan_state.hpp"
#include "value_text.hpp"

namespace socrata::pg {

namespace {

// How a decoded value becomes the text the column type's input function reads.
enum class TextForm { AsIs, Json, Point };

struct SlotConversion {
    int column = 0; // 0-based column of the scan tuple
    int item = 0;   // the select item (page slot) it reads
    std::string name;
    TextForm form = TextForm::AsIs;
    FmgrInfo *input = nullptr;
    Oid ioparam = InvalidOid;
    int32 typmod = -1;
};

bool cancel_requested() noexcept {
    return InterruptPending && (QueryCancelPending || ProcDiePending);
}

class ScanState {
  public:
    ScanPlan plan;
    std::string relname;
    std::atomic<bool> cancel_flag{false}; // raised to stop the worker's transfers
    std::unique_ptr<SodaClient> client;
    std::unique_ptr<PageFetcher> fetcher;
    std::unique_ptr<BackgroundFetcher> prefetch; // after client/fetcher: destroyed first
    Page page;
    std::size_t next_row = 0;
    std::vector<SlotConversion> conversions;
    List *runtime_states = NIL; // ExprState per runtime value
    bool started = false;
    FetchStats final_stats; // kept for EXPLAIN ANALYZE after the client is gone

    // Scratch space reused for every row: the C strings handed to input functions.
    std::vector<const char *> texts;
    std::vector<std::string> scratch;
    int converting = -1; // slot being converted, for error messages

    void start(ForeignScanState *node);
    void fill_slot(TupleTableSlot *slot, MemoryContext row_context);
    [[noreturn]] void throw_conversion_error(PgError &error, std::size_t row);
};

// Replaces each runtime-value placeholder in the planned $where with its literal.
std::string render_where(const std::string &where, const std::vector<std::string> &literals) {
    std::string out;
    out.reserve(where.size());
    for (std::size_t i = 0; i < where.size(); ++i) {
        if (where[i] != kPlaceholderStart) {
            out += where[i];
            continue;
        }
        std::size_t end = where.find_first_of(std::string{kScalarEnd, kListEnd}, i);
        out += literals.at(std::stoul(where.substr(i + 1, end - i - 1)));
        i = end;
    }
    return out;
}

void ScanState::start(ForeignScanState *node) {
    std::vector<std::string> literals;
    ExprContext *econtext = node->ss.ps.ps_ExprContext;
    ListCell *cell;
    foreach (cell, runtime_states) {
        auto *state = static_cast<ExprState *>(lfirst(cell));
        bool isnull = false;
        Datum value = pg::call([&] { return ExecEvalExpr(state, econtext, &isnull); });
        Oid type = pg::call([&] { return exprType(reinterpret_cast<Node *>(state->expr)); });
        literals.push_back(soql_literal_for_datum(value, isnull, type));
    }
    ScanRequest request = plan.request;
    request.where = render_where(request.where, literals);
    prefetch.reset();
    fetcher = std::make_unique<PageFetcher>(*client, request, client->settings().page_size);
    cancel_flag = false;
    prefetch = std::make_unique<BackgroundFetcher>(*fetcher, cancel_flag, cancel_requested);
    page.reset(0);
    next_row = 0;
    started = true;
}

void ScanState::throw_conversion_error(PgError &error, std::size_t row) {
    ErrorData *data = error.data();
    const SlotConversion &conv = conversions.at(converting);
    std::string value(page.text(row, conv.item).substr(0, 200));
    std::string where = describe_row_position(page, row, fetcher->value_slots());
    pg::call([&] {
        char *original = data->message;
        data->message = psprintf("invalid value for column \"%s\" of foreign table %s: \"%s\"",
                                 conv.name.c_str(), relname.c_str(), value.c_str());
        data->detail = psprintf("%s (%s).", original, where.c_str());
        data->hint = pstrdup("Check the column's type against the dataset's field type; "
                             "declare it text to see the raw values.");
    });
    throw error;
}

void ScanState::fill_slot(TupleTableSlot *slot, MemoryContext row_context) {
    std::size_t row = next_row++;
    std::size_t n = conversions.size();
    texts.assign(n, nullptr);
    scratch.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        int item = conversions[i].item;
        ValueKind kind = page.kind(row, item);
        if (kind == ValueKind::Null)
            continue;
        switch (conversions[i].form) {
        case TextForm::Json:
            texts[i] = json_text_for(kind, page.text(row, item), scratch[i]);
            break;
        case TextForm::Point:
            texts[i] = point_text_for(kind, page.text(row, item), scratch[i]);
            break;
        case TextForm::AsIs:
            texts[i] = page.c_str(row, item);
            break;
        }
    }

    Datum *values = slot->tts_values;
    bool *nulls = slot->tts_isnull;
    int natts = slot->tts_tupleDescriptor->natts;
    pg::call([&] { ExecClearTuple(slot); });
    std::fill(nulls, nulls + natts, true);
    try {
        pg::call([&] {
            MemoryContext old = MemoryContextSwitchTo(row_context);
            for (std::size_t i = 0; i < n; ++i) {
                if (!texts[i])
                    continue;
                converting = static_cast<int>(i);
                const SlotConversion &c = conversions[i];
                values[c.column] = InputFunctionCall(c.input, const_cast<char *>(texts[i]),
                                                     c.ioparam, c.typmod);
                nulls[c.column] = false;
            }
            MemoryContextSwitchTo(old);
            ExecStoreVirtualTuple(slot);
        });
    } catch (PgError &error) {
        throw_conversion_error(error, row);
    }
}

ScanState *state_of(ForeignScanState *node) { return static_cast<ScanState *>(node->fdw_state); }

Oid scanned_relation(ForeignScanState *node, Oid *userid) {
    auto *fsplan = reinterpret_cast<ForeignScan *>(node->ss.ps.plan);
    EState *estate = node->ss.ps.state;
    Index rti = fsplan->scan.scanrelid;
    if (rti == 0) // a pushed-down aggregate: the one base relation underneath
        rti = bms_next_member(fsplan->fs_relids, -1);
    RangeTblEntry *rte = pg::call([&] { return exec_rt_fetch(rti, estate); });
    *userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
    return rte->relid;
}

} // namespace

void begin_foreign_scan(ForeignScanState *node, int) {
    pg::entry([&] {
        auto *fsplan = reinterpret_cast<ForeignScan *>(node->ss.ps.plan);
        EState *estate = node->ss.ps.state;
        auto *state = new_context_owned<ScanState>(estate->es_query_cxt);
        node->fdw_state = state;

        Oid userid = InvalidOid;
        Oid relid = scanned_relation(node, &userid);
        ForeignTableInfo table = load_foreign_table(relid, userid);
        state->relname = table.relname;
        state->plan = scan_plan_from_list(fsplan->fdw_private);
        std::atomic<bool> *flag = &state->cancel_flag;
        state->client =
            std::make_unique<SodaClient>(table.settings, [flag] { return flag->load(); });

        TupleDesc desc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;
        for (std::size_t i = 0; i < state->plan.slot_columns.size(); ++i) {
            int column = state->plan.slot_columns[i];
            Form_pg_attribute attr = TupleDescAttr(desc, column);
            SlotConversion conv;
            conv.column = column;
            conv.item = state->plan.slot_items.at(i);
            conv.name = NameStr(attr->attname);
            conv.typmod = attr->atttypmod;
            Oid type = attr->atttypid;
            conv.form = (type == JSONBOID || type == JSONOID) ? TextForm::Json
                        : type == POINTOID                   ? TextForm::Point
                                                             : TextForm::AsIs;
            conv.input = pg::call([&] {
                Oid func;
                getTypeInputInfo(type, &func, &conv.ioparam);
                auto *flinfo = static_cast<FmgrInfo *>(
                    MemoryContextAlloc(estate->es_query_cxt, sizeof(FmgrInfo)));
                fmgr_info_cxt(func, flinfo, estate->es_query_cxt);
                return flinfo;
            });
            state->conversions.push_back(std::move(conv));
        }
        state->runtime_states = pg::call([&] {
            return ExecInitExprList(fsplan->fdw_exprs, reinterpret_cast<PlanState *>(node));
        });
    });
}

TupleTableSlot *iterate_foreign_scan(ForeignScanState *node) {
    return pg::entry([&]() -> TupleTableSlot * {
        ScanState *state = state_of(node);
        TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
        if (!state->started)
            state->start(node);
        if (state->next_row >= state->page.rows()) {
            state->next_row = 0;
            if (!state->prefetch->next(state->page)) {
                pg::call([&] { ExecClearTuple(slot); });
                return slot;
            }
        }
        state->fill_slot(slot, node->ss.ps.ps_ExprContext->ecxt_per_tuple_memory);
        return slot;
    });
}

void rescan_foreign_scan(ForeignScanState *node) {
    pg::entry([&] {
        ScanState *state = state_of(node);
        // Parameters may have changed: evaluate them again on the next fetch.
        state->started = false;
        state->prefetch.reset();
        state->fetcher.reset();
        state->page.reset(0);
        state->next_row = 0;
    });
}

void end_foreign_scan(ForeignScanState *node) {
    pg::entry([&] {
        // The state itself goes with the query context; release the connection and the page
        // buffer now, since the query may go on for a while.
        if (ScanState *state = state_of(node)) {
            state->prefetch.reset(); // joins the worker before its counters are read
            if (state->client)
                state->final_stats = state->client->stats();
            state->fetcher.reset();
            state->client.reset();
            state->page = Page();
        }
    });
}

void explain_foreign_scan(ForeignScanState *node, ExplainState *es) {
    pg::entry([&] {
        ScanState *state = state_of(node);
        if (!state)
            return;
        std::string query, path;
        if (state->prefetch)
            state->prefetch->stop(); // the scan is over; its counters must be quiet
        if (state->fetcher) {
            query = state->fetcher->describe();
            path = state->fetcher->first_request_path();
        } else {
            // Not started (plain EXPLAIN): runtime values are shown as $1, $2...
            ScanRequest request = state->plan.request;
            std::vector<std::string> names;
            for (int i = 0; i < list_length(state->runtime_states); ++i)
                names.push_back("$" + std::to_string(i + 1));
            request.where = render_where(request.where, names);
            PageFetcher preview(*state->client, request, state->client->settings().page_size);
            query = preview.describe();
            path = preview.first_request_path();
        }
        pg::call([&] { ExplainPropertyText("Socrata query", query.c_str(), es); });
        if (es->verbose)
            pg::call([&] { ExplainPropertyText("Socrata request", path.c_str(), es); });
        if (es->analyze) {
            FetchStats stats = state->client ? state->client->stats() : state->final_stats;
            pg::call([&] {
                ExplainPropertyInteger("Socrata pages", nullptr, stats.pages, es);
                ExplainPropertyInteger("Socrata bytes received", nullptr, stats.bytes_received, es);
                ExplainPropertyInteger("Socrata retries", nullptr, stats.retries, es);
            });
        }
    });
}

} // namespace socrata::pg
