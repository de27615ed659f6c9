// Executor callbacks: run the planned SoQL query page by page and turn each decoded row into a
// tuple. The C++ scan state lives on the heap and is deleted with the query's memory context,
// so an ERROR (after which EndForeignScan is never called) leaks nothing. A scan holds its HTTP
// client (a socket pair, and the connection it keeps alive), worker thread and pages only while
// it has rows to read: it takes the client when it starts and gives it back to the process's
// pool when its rows run out, so a query of hundreds of scans, or a cursor over finished ones,
// does not hold a connection per scan (nor run out of file descriptors).
#include "context_owned.hpp"
#include "fdw_callbacks.hpp"
#include "background_fetcher.hpp"
#include "database_encoding.hpp"
#include "datum_literal.hpp"
#include "http_client_pool.hpp"
#include "page_fetcher.hpp"
#include "plan_state.hpp"
#include "row_converter.hpp"
#include "session_zone_values.hpp"
#include "table_error_context.hpp"

extern "C" {
#include "utils/datum.h"
#include "utils/resowner.h"
}

#include <algorithm>
#include <vector>

namespace socrata::pg {

namespace {

// Idle clients of this backend. Never freed: at exit the kernel closes their sockets, and
// libcurl is not cleaned up after the Postgres code that exit runs.
HttpClientPool &idle_http_clients() {
    static auto *pool = new HttpClientPool(2);
    return *pool;
}

class ScanState;

// The scans of this backend, each with the resource owner current when it began: its portal's
// (for a query run through SPI, the subtransaction's).
std::vector<ScanState *> &live_scans() {
    static auto *scans = new std::vector<ScanState *>();
    return *scans;
}

class ScanState {
  public:
    ScanState() { live_scans().push_back(this); }
    ~ScanState() {
        auto &scans = live_scans();
        scans.erase(std::remove(scans.begin(), scans.end(), this), scans.end());
    }
    ScanState(const ScanState &) = delete;
    ScanState &operator=(const ScanState &) = delete;

    ScanPlan plan;
    ScanSettings settings;
    ResourceOwner owner = nullptr;
    std::string relname;
    const char *error_context = nullptr;  // "reading foreign table ...", in the query's context
    std::atomic<bool> cancel_flag{false}; // raised to stop the worker's transfers
    std::unique_ptr<SodaClient> client;   // while the scan reads; then back to the pool
    std::unique_ptr<PageFetcher> fetcher;
    std::unique_ptr<BackgroundFetcher> prefetch; // after client/fetcher: destroyed first
    Page page;
    std::size_t next_row = 0;
    std::uint64_t rows_read = 0; // since the scan (re)started, for error messages
    std::unique_ptr<RowConverter> converter;
    List *runtime_states = NIL; // ExprState per runtime value
    bool started = false;
    // Only under EXPLAIN ANALYZE (auto_explain's too): whether the scan keeps what it sent for
    // EXPLAIN (below); and whether a later loop sent another request than the first, as a
    // nested loop's inner scan does, a key per loop. Then no loop's request stands for the
    // others.
    bool explained = false;
    bool loops_sent_other_requests = false;
    // The TimeZone the request's runtime values were computed in, while it is open; null if
    // it has none. Then also those values before and after the conversion of the converted
    // ones (plan.converted_values, all timestamps; after: only when there are some), for
    // check_time_zone, which reads only the converted ones: the others, passed by reference,
    // point into per-tuple memory reset since.
    const pg_tz *request_zone = nullptr;
    std::vector<RuntimeValue> values_before_conversion;
    std::vector<RuntimeValue> values_after_conversion;
    FetchStats finished_stats; // of the clients given back, for EXPLAIN ANALYZE
    // The last request's query and path, runtime values in, kept for EXPLAIN ANALYZE once the
    // fetcher is gone (a nested loop's inner scan runs out once per outer row; nothing else
    // reads them), and the first loop's query (empty when it sent none; unset before it).
    std::string sent_query;
    std::string sent_path;
    std::optional<std::string> first_loop_query;

    void start(ForeignScanState *node);
    // Evaluated now; with `zone` as the session's TimeZone meanwhile when given (put back
    // whatever happens).
    std::vector<RuntimeValue> evaluate_runtime_values(ForeignScanState *node,
                                                      const pg_tz *zone = nullptr);
    // The values as sent: converted (plan.converted_values), then as SoQL literals. Keeps the
    // zone and the values before and after the conversion, for check_time_zone.
    std::vector<ComparedValue> sendable_values(std::vector<RuntimeValue> runtime);
    // Refuses to go on in a TimeZone that converts or computes the request's values otherwise.
    void check_time_zone(ForeignScanState *node);
    // Under EXPLAIN ANALYZE, counts a loop that sent `query` (empty: none).
    void note_loop_request(const std::string &query);
    // Stops the worker and drops the request and its rows; the client stays for the next loop.
    void drop_request();
    // Stops the worker and gives the client back, its counters kept; frees the pages.
    void release_transfer();
    // The requests of the whole scan so far, rescans included.
    FetchStats stats() const;
    ComparedValue sendable_value(Datum value, bool isnull, Oid type) const;
    void fill_slot(TupleTableSlot *slot, MemoryContext row_context);
};

// A runtime value as SoQL. Only text that is not UTF-8 has none (a SQL_ASCII database stores
// bytes as they came; other encodings are converted): the condition was planned to run at the
// portal, with no local copy to fall back on, so the query fails, naming the table.
ComparedValue ScanState::sendable_value(Datum value, bool isnull, Oid type) const {
    try {
        return compared_value_for_datum(value, isnull, type);
    } catch (const Error &e) {
        if (e.kind() != ErrorKind::Untranslatable)
            throw;
        throw Error(ErrorKind::Untranslatable,
                    "cannot send a value compared with a column of foreign table " + relname +
                        " to the portal: " + e.what(),
                    e.detail(),
                    "The portal's text is UTF-8, and a SQL_ASCII database passes text on as it "
                    "is stored: compare with text that is valid UTF-8.");
    }
}

namespace {

// Each runtime value into out[0], out[1], ... (sized by the caller: nothing here allocates).
void evaluate_into(List *states, ExprContext *econtext, RuntimeValue *out) {
    ListCell *cell;
    foreach (cell, states) {
        auto *state = static_cast<ExprState *>(lfirst(cell));
        out->value = ExecEvalExpr(state, econtext, &out->isnull);
        out->type = exprType(reinterpret_cast<Node *>(state->expr));
        ++out;
    }
}

} // namespace

std::vector<RuntimeValue> ScanState::evaluate_runtime_values(ForeignScanState *node,
                                                             const pg_tz *zone) {
    std::vector<RuntimeValue> values(static_cast<std::size_t>(list_length(runtime_states)));
    ExprContext *econtext = node->ss.ps.ps_ExprContext;
    pg::call([&] {
        if (!zone) {
            evaluate_into(runtime_states, econtext, values.data());
            return;
        }
        pg_tz *saved = session_timezone;
        session_timezone = const_cast<pg_tz *>(zone);
        PG_TRY();
        { evaluate_into(runtime_states, econtext, values.data()); }
        PG_FINALLY();
        { session_timezone = saved; }
        PG_END_TRY();
    });
    return values;
}

std::vector<ComparedValue> ScanState::sendable_values(std::vector<RuntimeValue> runtime) {
    values_before_conversion = runtime;
    request_zone = runtime.empty() ? nullptr : session_timezone;
    if (!plan.converted_values.empty()) {
        convert_runtime_values(runtime, plan.converted_values);
        values_after_conversion = runtime;
    }
    std::vector<ComparedValue> values;
    values.reserve(runtime.size());
    for (const RuntimeValue &v : runtime)
        values.push_back(sendable_value(v.value, v.isnull, v.type));
    return values;
}

void ScanState::start(ForeignScanState *node) {
    std::vector<RuntimeValue> runtime = evaluate_runtime_values(node);
    drop_request();
    rows_read = 0;
    started = true;
    request_zone = nullptr; // set again when values are sent (sendable_values)
    sent_query.clear();     // this loop's, once it has run out
    sent_path.clear();
    // Before any value is converted: a NULL here matches no row, whatever the other values are,
    // so a value that could not be sent must not fail the query.
    for (int index : plan.null_rejecting_values)
        if (runtime.at(static_cast<std::size_t>(index)).isnull) {
            note_loop_request(std::string());
            return; // no row can match: no request (iterate sees no fetcher)
        }
    if (!client) {
        std::atomic<bool> *flag = &cancel_flag;
        client = std::make_unique<SodaClient>(
            settings, [flag] { return flag->load(); }, idle_http_clients().take());
    }
    ScanRequest request = plan.request;
    request.where = render_where(request.where, sendable_values(std::move(runtime)));
    fetcher = std::make_unique<PageFetcher>(*client, request, client->settings().page_size);
    if (explained)
        note_loop_request(fetcher->describe());
    cancel_flag = false;
    prefetch = std::make_unique<BackgroundFetcher>(*fetcher, cancel_flag, cancel_requested);
}

void ScanState::note_loop_request(const std::string &query) {
    if (!explained)
        return;
    if (!first_loop_query)
        first_loop_query = query;
    else if (query != *first_loop_query)
        loops_sent_other_requests = true;
}

// Postgres compares each row as it comes, in the TimeZone of that moment; the portal filtered
// them all with values converted or computed in the zone the scan started in. A cursor fetched
// on after SET TimeZone (or a set_config() per row) would mix the two, unless the new zone
// converts the values as the old one did ('UTC' after 'Etc/UTC', or any zone with the same
// offsets around them) and computes the same ones (current_date, localtimestamp: evaluated
// again). Called for each row about to be returned: a scan that has returned its last row
// ends as usual.
void ScanState::check_time_zone(ForeignScanState *node) {
    if (!request_zone || request_zone == session_timezone)
        return;
    // Compared as their type stores them: to_char(now(), 'TZ') is text. Both evaluated here.
    const auto same_values = [](const std::vector<RuntimeValue> &a,
                                const std::vector<RuntimeValue> &b) {
        return pg::call([&] {
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (a[i].isnull || b[i].isnull) {
                    if (a[i].isnull != b[i].isnull)
                        return false;
                    continue;
                }
                int16 length;
                bool by_value;
                get_typlenbyval(a[i].type, &length, &by_value);
                if (!datumIsEqual(a[i].value, b[i].value, by_value, length))
                    return false;
            }
            return true;
        });
    };
    // Only the converted values, timestamps passed by value: the others were computed in the
    // per-tuple memory of the row that started the scan, reset since (review helper-83).
    static_assert(FLOAT8PASSBYVAL, "converted timestamps are compared as Datums");
    bool converted_same = true;
    if (!plan.converted_values.empty()) {
        std::vector<RuntimeValue> again = values_before_conversion;
        convert_runtime_values(again, plan.converted_values);
        for (const ConvertedValue &converted : plan.converted_values) {
            const auto index = static_cast<std::size_t>(converted.index);
            const RuntimeValue &now = again.at(index);
            const RuntimeValue &then = values_after_conversion.at(index);
            if (now.isnull != then.isnull || (!now.isnull && now.value != then.value))
                converted_same = false;
        }
    }
    // Both now, in either zone: a value that moved for another reason (statement_timestamp()
    // at each FETCH) is no concern of the zone's. The first are copied before the second are
    // computed, which could reuse a function's result buffer.
    std::vector<RuntimeValue> in_old_zone = evaluate_runtime_values(node, request_zone);
    pg::call([&] {
        for (RuntimeValue &v : in_old_zone) {
            int16 length;
            bool by_value;
            get_typlenbyval(v.type, &length, &by_value);
            if (!v.isnull && !by_value)
                v.value = datumCopy(v.value, by_value, length);
        }
    });
    const std::vector<RuntimeValue> in_new_zone = evaluate_runtime_values(node);
    const bool computed_same = same_values(in_new_zone, in_old_zone);
    if (converted_same && computed_same) {
        request_zone = session_timezone;
        return;
    }
    std::string name = relname;
    const char *detail = converted_same
                             ? "Its request holds values computed in the TimeZone the scan started "
                               "in (such as current_date), which this TimeZone computes otherwise."
                             : "Its request compares timestamps converted in the TimeZone the scan "
                               "started in, which this TimeZone converts otherwise.";
    pg::call([&] {
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("TimeZone changed during a scan of foreign table %s", name.c_str()),
                        errdetail("%s", detail),
                        errhint("Set TimeZone before opening the cursor, or open it again.")));
    });
}

void ScanState::drop_request() {
    prefetch.reset(); // joins the worker before the fetcher it reads through goes
    fetcher.reset();
    page.reset(0);
    next_row = 0;
}

void ScanState::release_transfer() {
    prefetch.reset(); // joins the worker before the client's counters are read
    if (fetcher && explained) {
        sent_query = fetcher->describe();
        sent_path = fetcher->first_request_path();
    }
    fetcher.reset();
    if (client) {
        finished_stats += client->stats();
        idle_http_clients().give_back(client->release_http());
        client.reset();
    }
    page = Page();
}

FetchStats ScanState::stats() const {
    FetchStats all = finished_stats;
    if (client)
        all += client->stats();
    return all;
}

void ScanState::fill_slot(TupleTableSlot *slot, MemoryContext row_context) {
    std::size_t row = next_row++;
    converter->convert(page, row, slot, row_context, relname, fetcher->value_slots(),
                       ++rows_read);
}

// A cursor whose query fails inside a subtransaction (a savepoint, a PL/pgSQL block with an
// EXCEPTION clause) while it was opened outside it is kept, failed, until the transaction ends,
// and its scan with it: its worker, transfer and connection would live on for nothing. When
// its portal's resource owner is released on abort, the scan's transfer is stopped and its
// client given back. (A scan that ends normally is released by EndForeignScan.)
void release_aborted_scans(ResourceReleasePhase phase, bool is_commit, bool, void *) noexcept {
    if (phase != RESOURCE_RELEASE_BEFORE_LOCKS || is_commit)
        return;
    try {
        for (ScanState *scan : live_scans()) {
            if (scan->owner != CurrentResourceOwner)
                continue;
            // The owner is deleted with the subtransaction, and its address may be reused.
            scan->owner = nullptr;
            scan->release_transfer();
        }
    } catch (...) {
        // Out of memory while keeping a scan's counters: it goes with its memory context.
    }
}

void watch_for_aborted_scans() {
    static bool registered = false;
    if (!registered) {
        pg::call([] { RegisterResourceReleaseCallback(release_aborted_scans, nullptr); });
        registered = true;
    }
}

ScanState *state_of(ForeignScanState *node) {
    return static_cast<ScanState *>(node->fdw_state);
}

Oid scanned_relation(ForeignScanState *node, Oid *userid) {
    auto *fsplan = reinterpret_cast<ForeignScan *>(node->ss.ps.plan);
    EState *estate = node->ss.ps.state;
    Index rti = fsplan->scan.scanrelid;
    if (rti == 0) // a pushed-down aggregate or LIMIT: the one base relation underneath
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
        watch_for_aborted_scans();
        auto *state = new_context_owned<ScanState>(estate->es_query_cxt);
        state->owner = CurrentResourceOwner;
        state->explained = estate->es_instrument != 0;
        node->fdw_state = state;

        Oid userid = InvalidOid;
        Oid relid = scanned_relation(node, &userid);
        ForeignTableInfo table = load_foreign_table(relid, userid);
        state->relname = table.relname;
        state->error_context = reading_table_context(table);
        state->plan = scan_plan_from_list(fsplan->fdw_private);
        state->settings = table.settings;

        state->converter = std::make_unique<RowConverter>(
            node->ss.ss_ScanTupleSlot->tts_tupleDescriptor, state->plan.slot_columns,
            state->plan.slot_items, estate->es_query_cxt, table.settings.app_token,
            state->plan.slot_divisors);
        state->runtime_states = pg::call([&] {
            return ExecInitExprList(fsplan->fdw_exprs, reinterpret_cast<PlanState *>(node));
        });
    });
}

TupleTableSlot *iterate_foreign_scan(ForeignScanState *node) {
    // Around pg::entry(), so the errors it raises after its body has returned carry the line.
    ErrorContextCallback context;
    push_error_context(context, state_of(node)->error_context);
    TupleTableSlot *result = pg::entry([&]() -> TupleTableSlot * {
        ScanState *state = state_of(node);
        TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
        if (!state->started)
            state->start(node);
        if (state->next_row >= state->page.rows()) {
            state->next_row = 0;
            if (!state->prefetch || !state->prefetch->next(state->page)) {
                // Stay at the end if called again: the last page's rows must not come back.
                state->release_transfer();
                pg::call([&] { ExecClearTuple(slot); });
                return slot;
            }
        }
        state->check_time_zone(node);
        state->fill_slot(slot, node->ss.ps.ps_ExprContext->ecxt_per_tuple_memory);
        return slot;
    });
    pop_error_context(context);
    return result;
}

void rescan_foreign_scan(ForeignScanState *node) {
    pg::entry([&] {
        ScanState *state = state_of(node);
        // Parameters may have changed: evaluate them again on the next fetch.
        state->started = false;
        state->drop_request();
    });
}

void end_foreign_scan(ForeignScanState *node) {
    pg::entry([&] {
        // The state itself goes with the query context; release the connection and the page
        // buffer now, since the query may go on for a while.
        if (ScanState *state = state_of(node))
            state->release_transfer();
    });
}

namespace {

// What the placeholders of converted values stand for, in plain EXPLAIN: "$1 lower local-time
// bound, ...". Empty if there are none.
std::string converted_values_text(const ScanPlan &plan) {
    std::string text;
    for (const ConvertedValue &value : plan.converted_values) {
        const char *meaning =
            value.conversion == ValueConversion::LowerLocalTime   ? "lower local-time bound"
            : value.conversion == ValueConversion::UpperLocalTime ? "upper local-time bound"
                                                                  : "instant in the TimeZone";
        text += (text.empty() ? "$" : ", $") + std::to_string(value.index + 1) + " " + meaning;
    }
    return text;
}

} // namespace

void explain_foreign_scan(ForeignScanState *node, ExplainState *es) {
    pg::entry([&] {
        ScanState *state = state_of(node);
        if (!state)
            return;
        std::string query, path;
        bool placeholders = false; // runtime values shown as $1, $2...
        if (state->prefetch)
            state->prefetch->stop(); // the scan is over; its counters must be quiet
        // Under EXPLAIN ANALYZE, a scan whose loops sent different requests (the inner side of
        // a nested loop, a key each) is shown as planned: its last request would stand for all
        // of them, beside counters that add up every loop.
        const bool loops_differ = state->loops_sent_other_requests;
        if (state->fetcher && !loops_differ) {
            query = state->fetcher->describe();
            path = state->fetcher->first_request_path();
        } else if (!state->sent_query.empty() && !loops_differ) {
            // ran out of rows (EXPLAIN ANALYZE)
            query = state->sent_query;
            path = state->sent_path;
        } else {
            // Not started (plain EXPLAIN), started without a request (a NULL value no row can
            // match, under EXPLAIN ANALYZE), or run once per outer row: runtime values are
            // shown as $1, $2...
            placeholders = true;
            ScanRequest request = state->plan.request;
            std::vector<ComparedValue> names;
            for (int i = 0; i < list_length(state->runtime_states); ++i)
                names.push_back({ComparedValue::Kind::Exact, "$" + std::to_string(i + 1)});
            request.where = render_where(request.where, names);
            // Sends nothing, so opens nothing: the client is only what a PageFetcher describes a
            // request with.
            SodaClient describer(state->settings, nullptr);
            PageFetcher preview(describer, request, state->settings.page_size);
            query = preview.describe();
            path = preview.first_request_path();
        }
        // The SoQL is UTF-8, as sent; its literals came from the database, so they convert back.
        query = database_text_from_utf8(query);
        pg::call([&] { ExplainPropertyText("Socrata query", query.c_str(), es); });
        if (std::string values = converted_values_text(state->plan);
            placeholders && !values.empty())
            pg::call([&] { ExplainPropertyText("Socrata values", values.c_str(), es); });
        if (es->verbose)
            pg::call([&] { ExplainPropertyText("Socrata request", path.c_str(), es); });
        if (es->analyze) {
            FetchStats stats = state->stats();
            pg::call([&] {
                ExplainPropertyInteger("Socrata pages", nullptr, stats.pages, es);
                ExplainPropertyInteger("Socrata bytes received", nullptr, stats.bytes_received, es);
                ExplainPropertyInteger("Socrata retries", nullptr, stats.retries, es);
            });
        }
    });
}

} // namespace socrata::pg
