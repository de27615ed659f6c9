// crime.bulk_insert(target, query): COPY's way of writing rows, for the rows of a query.
//
// INSERT ... SELECT gives every new heap page a buffer through the pool's normal replacement,
// so a large load evicts the whole shared buffer cache, and the loading backend touches (maps)
// all of shared_buffers. COPY FROM, CREATE TABLE AS and REFRESH MATERIALIZED VIEW write through
// a BulkInsertState instead: a 16 MB ring of buffers reused page after page, with the page
// being filled kept pinned between rows. PostgreSQL 15 offers that to no statement that inserts
// a query's rows, so this function does it, the way CREATE TABLE AS's receiver does: the query
// runs through SPI with a DestReceiver that inserts each row as it arrives, nothing is
// materialised in between.
//
// When the caller holds the table's ACCESS EXCLUSIVE lock and the table has no index (the
// first load: crime.merge_incidents drops the indexes and builds them after), the rows skip the
// buffer cache altogether: heap_page_writer.cpp fills each page in the backend's memory and
// appends it to the file, as CREATE INDEX does with its pages.
//
// What it does like INSERT: privileges (column-level included), the read-only transaction
// check, NOT NULL and CHECK constraints, a partition's bound, column defaults, index
// maintenance and unique checks, one command id (the query does not see the rows it adds). What
// INSERT does and it does not is refused up front, never skipped: triggers (foreign keys are
// triggers), INSERT rules, row-level security, stored generated columns, values for GENERATED
// ALWAYS identity columns, tables other than plain tables. The query's columns are matched to
// the table's by name (the others get their defaults), and each must have the column's exact
// type: cast in the query.
#include "heap_page_writer.hpp"
#include "pg_guard.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/hio.h"
#include "access/tableam.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "rewrite/rewriteHandler.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"

PGDLLEXPORT Datum socrata_bulk_insert(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(socrata_bulk_insert);
}

namespace socrata::pg {

namespace {

// The DestReceiver the query's rows go to. Plain C data: the executor owns its lifetime.
struct BulkInsertReceiver {
    DestReceiver pub; // first, so the executor's DestReceiver * is this struct
    Relation rel;
    EState *estate;
    ResultRelInfo *rri;
    BulkInsertState bistate; // the ring's way, or
    HeapPageWriter *pages;   // straight to the file (see can_write_heap_pages)
    CommandId cid;
    TupleTableSlot *slot; // the table's row being inserted
    int *source_column;   // per table attribute: 1-based column of the query, 0 = none
    ExprState **defaults; // per table attribute the query does not give: its default, or null
    uint64 rows;
};

// One ring for the backend's life. Each BulkInsertState would bring its own, whose 16 MB of
// buffers the clock sweep takes from wherever its hand is; a backfill calls this once per
// window, so its rings would walk the whole cache (and VmHWM would count all of it). Reusing one
// ring keeps every call of the backend writing through the same 16 MB. The strategy only names
// buffers (it holds no pins), so it stays valid across transactions, aborted ones included.
BufferAccessStrategy backend_ring() {
    static BufferAccessStrategy ring = nullptr;
    if (!ring) {
        MemoryContext caller = MemoryContextSwitchTo(TopMemoryContext);
        ring = GetAccessStrategy(BAS_BULKWRITE);
        MemoryContextSwitchTo(caller);
    }
    return ring;
}

// GetBulkInsertState() with the backend's ring instead of a new one (PostgreSQL 15's
// BulkInsertStateData, access/hio.h: the strategy and the pinned page being filled).
BulkInsertState bulk_insert_state() {
    auto *state = static_cast<BulkInsertState>(palloc(sizeof(BulkInsertStateData)));
    state->strategy = backend_ring();
    state->current_buf = InvalidBuffer;
    return state;
}

bool has_insert_rules(Relation rel) {
    if (RuleLock *rules = rel->rd_rules)
        for (int i = 0; i < rules->numLocks; ++i)
            if (rules->rules[i]->event == CMD_INSERT)
                return true;
    return false;
}

bool has_insert_triggers(Relation rel) {
    const TriggerDesc *t = rel->trigdesc;
    return t && (t->trig_insert_before_row || t->trig_insert_after_row ||
                 t->trig_insert_instead_row || t->trig_insert_before_statement ||
                 t->trig_insert_after_statement || t->trig_insert_new_table);
}

// What INSERT would do that this function does not: refuse rather than skip it.
void check_target(Relation rel) {
    const char *name = RelationGetRelationName(rel);
    // The executor's check for INSERT (ExecCheckXactReadOnly), which a row written through the
    // table access method does not pass: a read-only transaction (a hot standby's included)
    // may write temporary tables only, and a parallel worker nothing.
    if (!RelationUsesLocalBuffers(rel))
        PreventCommandIfReadOnly("bulk_insert");
    PreventCommandIfParallelMode("bulk_insert");
    if (rel->rd_rel->relkind != RELKIND_RELATION)
        ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                        errmsg("bulk_insert: \"%s\" is not a plain table", name),
                        errhint("Use INSERT ... SELECT.")));
    if (has_insert_triggers(rel))
        ereport(ERROR,
                (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                 errmsg("bulk_insert: table \"%s\" has INSERT triggers or foreign keys", name),
                 errhint("Use INSERT ... SELECT, which fires them.")));
    if (has_insert_rules(rel))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("bulk_insert: table \"%s\" has INSERT rules", name),
                        errhint("Use INSERT ... SELECT, which applies them.")));
    if (check_enable_rls(RelationGetRelid(rel), InvalidOid, false) == RLS_ENABLED)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("bulk_insert: table \"%s\" has row-level security", name),
                        errhint("Use INSERT ... SELECT, which applies its policies.")));
    TupleConstr *constr = RelationGetDescr(rel)->constr;
    if (constr && constr->has_generated_stored)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("bulk_insert: table \"%s\" has generated columns", name),
                        errhint("Use INSERT ... SELECT, which computes them.")));
}

// The range table entry INSERT would have. Once the query's columns are known, it carries the
// privilege check (on the table, or on each column given) and names the given columns in
// constraint-violation messages.
RangeTblEntry *insert_rte(Relation rel) {
    RangeTblEntry *rte = makeNode(RangeTblEntry);
    rte->rtekind = RTE_RELATION;
    rte->relid = RelationGetRelid(rel);
    rte->relkind = rel->rd_rel->relkind;
    rte->rellockmode = RowExclusiveLock;
    rte->requiredPerms = ACL_INSERT;
    return rte;
}

void check_privileges(BulkInsertReceiver *r) {
    RangeTblEntry *rte = exec_rt_fetch(1, r->estate);
    TupleDesc table = RelationGetDescr(r->rel);
    for (int t = 0; t < table->natts; ++t)
        if (r->source_column[t] != 0)
            rte->insertedCols =
                bms_add_member(rte->insertedCols, t + 1 - FirstLowInvalidHeapAttributeNumber);
    ExecCheckRTPerms(r->estate->es_range_table, true);
}

// Matches the query's columns to the table's by name and prepares the defaults of the rest.
void map_columns(BulkInsertReceiver *r, TupleDesc query) {
    TupleDesc table = RelationGetDescr(r->rel);
    const char *name = RelationGetRelationName(r->rel);
    r->source_column = static_cast<int *>(palloc0(sizeof(int) * table->natts));
    r->defaults = static_cast<ExprState **>(palloc0(sizeof(ExprState *) * table->natts));
    for (int q = 0; q < query->natts; ++q) {
        Form_pg_attribute qa = TupleDescAttr(query, q);
        int t = 0;
        while (t < table->natts &&
               (TupleDescAttr(table, t)->attisdropped ||
                strcmp(NameStr(TupleDescAttr(table, t)->attname), NameStr(qa->attname)) != 0))
            ++t;
        if (t == table->natts)
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                            errmsg("bulk_insert: the query's column \"%s\" is not a column of "
                                   "table \"%s\"",
                                   NameStr(qa->attname), name)));
        if (r->source_column[t] != 0)
            ereport(ERROR, (errcode(ERRCODE_DUPLICATE_COLUMN),
                            errmsg("bulk_insert: the query gives column \"%s\" twice",
                                   NameStr(qa->attname))));
        Form_pg_attribute ta = TupleDescAttr(table, t);
        if (qa->atttypid != ta->atttypid || (ta->atttypmod >= 0 && qa->atttypmod != ta->atttypmod))
            ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                            errmsg("bulk_insert: column \"%s\" of table \"%s\" is of type %s, the "
                                   "query gives %s",
                                   NameStr(ta->attname), name,
                                   format_type_with_typemod(ta->atttypid, ta->atttypmod),
                                   format_type_with_typemod(qa->atttypid, qa->atttypmod)),
                            errhint("Cast the column in the query.")));
        // INSERT refuses these too, unless OVERRIDING SYSTEM VALUE, which this function lacks.
        if (ta->attidentity == ATTRIBUTE_IDENTITY_ALWAYS)
            ereport(ERROR,
                    (errcode(ERRCODE_GENERATED_ALWAYS),
                     errmsg("bulk_insert: cannot insert a non-DEFAULT value into column \"%s\"",
                            NameStr(ta->attname)),
                     errdetail("Column \"%s\" is an identity column defined as GENERATED ALWAYS.",
                               NameStr(ta->attname)),
                     errhint("Leave the column out of the query: it gets its next value.")));
        r->source_column[t] = q + 1;
    }
    for (int t = 0; t < table->natts; ++t) {
        if (r->source_column[t] != 0 || TupleDescAttr(table, t)->attisdropped)
            continue;
        if (Node *def = build_column_default(r->rel, t + 1))
            r->defaults[t] = ExecPrepareExpr(reinterpret_cast<Expr *>(def), r->estate);
    }
}

void receiver_startup(BulkInsertReceiver *r, TupleDesc query) {
    // This runs inside the query's executor: allocate in our EState's memory, not the query's,
    // which is gone before our EState is freed.
    MemoryContext caller = MemoryContextSwitchTo(r->estate->es_query_cxt);
    // The command id of the query's own snapshot: rows inserted with it stay invisible to the
    // query, as with INSERT ... SELECT from the same table.
    r->cid = GetCurrentCommandId(true);
    r->estate->es_output_cid = r->cid;
    map_columns(r, query);
    check_privileges(r);
    r->slot =
        ExecInitExtraTupleSlot(r->estate, RelationGetDescr(r->rel), table_slot_callbacks(r->rel));
    if (can_write_heap_pages(r->rel, r->rri->ri_NumIndices)) {
        r->pages = static_cast<HeapPageWriter *>(palloc(sizeof(HeapPageWriter)));
        heap_page_writer_start(r->pages, r->rel, r->cid);
    } else {
        r->bistate = bulk_insert_state();
    }
    MemoryContextSwitchTo(caller);
}

void receiver_insert(BulkInsertReceiver *r, TupleTableSlot *source) {
    EState *estate = r->estate;
    ResetPerTupleExprContext(estate);
    MemoryContext caller = MemoryContextSwitchTo(GetPerTupleMemoryContext(estate));
    ExprContext *econtext = GetPerTupleExprContext(estate);

    slot_getallattrs(source);
    TupleTableSlot *slot = r->slot;
    ExecClearTuple(slot);
    for (int t = 0; t < slot->tts_tupleDescriptor->natts; ++t) {
        if (int q = r->source_column[t]) {
            slot->tts_values[t] = source->tts_values[q - 1];
            slot->tts_isnull[t] = source->tts_isnull[q - 1];
        } else if (r->defaults[t]) {
            slot->tts_values[t] = ExecEvalExpr(r->defaults[t], econtext, &slot->tts_isnull[t]);
        } else {
            slot->tts_values[t] = (Datum)0;
            slot->tts_isnull[t] = true;
        }
    }
    ExecStoreVirtualTuple(slot);

    if (r->rel->rd_att->constr)
        ExecConstraints(r->rri, slot, estate);
    // A partition named directly, as INSERT INTO a partition does: its bound is a constraint.
    if (r->rel->rd_rel->relispartition)
        ExecPartitionCheck(r->rri, slot, estate, true);
    if (r->pages)
        heap_page_writer_add(r->pages, heap_form_tuple(slot->tts_tupleDescriptor, slot->tts_values,
                                                       slot->tts_isnull));
    else
        table_tuple_insert(r->rel, slot, r->cid, 0, r->bistate);
    if (r->rri->ri_NumIndices > 0)
        list_free(ExecInsertIndexTuples(r->rri, slot, estate, false, false, nullptr, NIL));
    ++r->rows;
    MemoryContextSwitchTo(caller);
}

void receiver_shutdown(BulkInsertReceiver *r) {
    if (r->pages)
        heap_page_writer_finish(r->pages);
    if (r->bistate) {
        ReleaseBulkInsertStatePin(r->bistate); // not FreeBulkInsertState: the ring stays
        pfree(r->bistate);
        r->bistate = nullptr;
    }
    table_finish_bulk_insert(r->rel, 0);
}

// The executor's callbacks: entry points from Postgres, so each runs behind the boundary.
void startup_callback(DestReceiver *self, int, TupleDesc typeinfo) {
    auto *r = reinterpret_cast<BulkInsertReceiver *>(self);
    pg::entry([&] { pg::call([&] { receiver_startup(r, typeinfo); }); });
}

bool receive_callback(TupleTableSlot *slot, DestReceiver *self) {
    auto *r = reinterpret_cast<BulkInsertReceiver *>(self);
    pg::entry([&] { pg::call([&] { receiver_insert(r, slot); }); });
    return true;
}

void shutdown_callback(DestReceiver *self) {
    auto *r = reinterpret_cast<BulkInsertReceiver *>(self);
    pg::entry([&] { pg::call([&] { receiver_shutdown(r); }); });
}

void destroy_callback(DestReceiver *) {}

// Before the lock: a caller who may insert into no column of the table must not hold its
// RowExclusiveLock while the query is planned (a queue for everyone's stronger locks behind
// it). The full check, column by column, follows once the query's columns are known.
void check_may_insert_somewhere(Oid target) {
    if (pg_class_aclcheck(target, GetUserId(), ACL_INSERT) != ACLCHECK_OK &&
        pg_attribute_aclcheck_all(target, GetUserId(), ACL_INSERT, ACLMASK_ANY) != ACLCHECK_OK)
        aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(target));
}

uint64 bulk_insert(Oid target, const char *query) {
    check_may_insert_somewhere(target);
    Relation rel = table_open(target, RowExclusiveLock);
    check_target(rel);
    List *range_table = list_make1(insert_rte(rel));

    BulkInsertReceiver receiver{};
    receiver.pub.receiveSlot = receive_callback;
    receiver.pub.rStartup = startup_callback;
    receiver.pub.rShutdown = shutdown_callback;
    receiver.pub.rDestroy = destroy_callback;
    receiver.pub.mydest = DestNone; // not SPI's own receiver: SPI keeps no copy of the rows
    receiver.rel = rel;
    receiver.estate = CreateExecutorState();
    ExecInitRangeTable(receiver.estate, range_table);
    receiver.rri = makeNode(ResultRelInfo);
    ExecInitResultRelation(receiver.estate, receiver.rri, 1);
    ExecOpenIndices(receiver.rri, false);

    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "bulk_insert: SPI_connect failed");
    SPIPlanPtr plan = SPI_prepare(query, 0, nullptr);
    if (!plan)
        elog(ERROR, "bulk_insert: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
    if (!SPI_is_cursor_plan(plan))
        ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                        errmsg("bulk_insert: the query must be one statement that returns rows")));
    SPIExecuteOptions options{};
    options.dest = &receiver.pub;
    int rc = SPI_execute_plan_extended(plan, &options);
    if (rc < 0)
        elog(ERROR, "bulk_insert: query failed: %s", SPI_result_code_string(rc));
    SPI_finish();

    ExecResetTupleTable(receiver.estate->es_tupleTable, false);
    ExecCloseResultRelations(receiver.estate);
    ExecCloseRangeTableRelations(receiver.estate);
    FreeExecutorState(receiver.estate);
    table_close(rel, NoLock);
    return receiver.rows;
}

} // namespace

} // namespace socrata::pg

namespace pg = socrata::pg;

Datum socrata_bulk_insert(PG_FUNCTION_ARGS) {
    Oid target = PG_GETARG_OID(0);
    text *query = PG_GETARG_TEXT_PP(1);
    return pg::entry([&] {
        uint64 rows = pg::call([&] { return pg::bulk_insert(target, text_to_cstring(query)); });
        return Int64GetDatum(static_cast<int64>(rows));
    });
}
