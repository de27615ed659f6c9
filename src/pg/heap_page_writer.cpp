// Why a first load writes its pages itself. Through the buffer manager, even with COPY's 16 MB
// ring, every page of a large load passes through the shared buffer cache: the loading backend
// maps the ring's buffers, and each buffer is locked, dirtied, written by whichever process
// evicts it, and its row WAL-logged one record per row. Written here, a page is filled in the
// backend's own 8 kB, logged as one full-page WAL record, and appended to the file: the same
// scheme as CREATE INDEX (nbtsort.c) and CLUSTER (rewriteheap.c), with the same two duties:
//  - nobody else may touch the pages being added: the caller holds ACCESS EXCLUSIVE, so no
//    other backend reads the table or extends its file meanwhile;
//  - durability: a checkpoint between a page's WAL record and its write would leave the write
//    unreplayed after a crash, so the file is fsynced before commit (smgrimmedsync), as those
//    commands do. Where the table needs no WAL (wal_level = minimal and a file created in this
//    transaction), the commit's pending-sync machinery syncs or logs the file instead.
// The rows are ordinary heap tuples of this (sub)transaction: an abort leaves them invisible,
// for VACUUM to reclaim, exactly like rows heap_insert had written. Unlike those commands' pages,
// which go to a new file that an abort discards, ours stay in the table's file after an abort,
// so each write also asks the checkpointer to fsync it (as any extension of a table does): a
// checkpoint after a page's WAL record then makes the page durable (one that began in between is
// caught by its redo pointer, below), and an aborted load cannot leave a torn page behind for
// the next reader to trip on after an operating-system crash.
#include "heap_page_writer.hpp"

extern "C" {
#include "access/heaptoast.h"
#include "access/xact.h"
#include "catalog/catalog.h"
#include "access/xlog.h"
#include "access/xloginsert.h"
#include "pgstat.h"
#include "storage/bufpage.h"
#include "storage/lmgr.h"
#include "storage/predicate.h"
#include "storage/smgr.h"
}

namespace socrata::pg {

bool can_write_heap_pages(Relation rel, int index_count) {
    return index_count == 0 && rel->rd_rel->relkind == RELKIND_RELATION &&
           rel->rd_rel->relpersistence == RELPERSISTENCE_PERMANENT &&
           !RelationIsLogicallyLogged(rel) &&
           CheckRelationLockedByMe(rel, AccessExclusiveLock, false);
}

void heap_page_writer_start(HeapPageWriter *w, Relation rel, CommandId cid) {
    w->rel = rel;
    w->xid = GetCurrentTransactionId();
    w->cid = cid;
    w->free_space_to_keep = RelationGetTargetPageFreeSpace(rel, HEAP_DEFAULT_FILLFACTOR);
    w->next_block = smgrnblocks(RelationGetSmgr(rel), MAIN_FORKNUM);
    PageInit(w->page.data, BLCKSZ, 0);
    w->pages_written = 0;
    // What heap_insert checks once per row: a serializable transaction's read of this table
    // conflicts with our write.
    CheckForSerializableConflictIn(rel, nullptr, InvalidBlockNumber);
}

namespace {

bool page_is_empty(const HeapPageWriter *w) {
    return PageGetMaxOffsetNumber(const_cast<char *>(w->page.data)) == InvalidOffsetNumber;
}

void write_page(HeapPageWriter *w) {
    Page page = w->page.data;
    Relation rel = w->rel;
    const BlockNumber block = w->next_block;
    const bool needs_wal = RelationNeedsWAL(rel);
    const XLogRecPtr redo = GetRedoRecPtr();
    if (needs_wal)
        log_newpage(&rel->rd_node, MAIN_FORKNUM, block, page, true);
    PageSetChecksumInplace(page, block);
    // Not skipFsync: the next checkpoint syncs the page even if this load aborts (see the top).
    smgrextend(RelationGetSmgr(rel), MAIN_FORKNUM, block, page, false);
    // A checkpoint that began after the WAL record may have taken in its fsync requests before
    // ours arrived: recovery would start after the record and nothing would have synced the
    // page. When the redo pointer moved meanwhile, the file is synced now (PostgreSQL 17's bulk
    // writer, bulk_write.c, makes the same check); at most once per checkpoint during a load.
    if (needs_wal && GetRedoRecPtr() != redo)
        smgrimmedsync(RelationGetSmgr(rel), MAIN_FORKNUM);
    // Counted per page, not at the end: if the load aborts, these rows are dead tuples that
    // autovacuum must hear about.
    pgstat_count_heap_insert(rel, PageGetMaxOffsetNumber(page));
    ++w->next_block;
    ++w->pages_written;
    PageInit(page, BLCKSZ, 0);
}

// heap_insert's preparation of a new row (heapam.c's heap_prepare_insert, which is static).
HeapTuple prepare_tuple(const HeapPageWriter *w, HeapTuple tuple) {
    HeapTupleHeader header = tuple->t_data;
    header->t_infomask &= ~HEAP_XACT_MASK;
    header->t_infomask2 &= ~HEAP2_XACT_MASK;
    header->t_infomask |= HEAP_XMAX_INVALID;
    HeapTupleHeaderSetXmin(header, w->xid);
    HeapTupleHeaderSetCmin(header, w->cid);
    HeapTupleHeaderSetXmax(header, 0);
    tuple->t_tableOid = RelationGetRelid(w->rel);
    // Values too big for a page, or toasted in another table, go to this table's TOAST table
    // (through heap_insert: those are rare, and that table has an index to maintain).
    if (HeapTupleHasExternal(tuple) || tuple->t_len > TOAST_TUPLE_THRESHOLD)
        return heap_toast_insert_or_update(w->rel, tuple, nullptr, 0);
    return tuple;
}

} // namespace

void heap_page_writer_add(HeapPageWriter *w, HeapTuple tuple) {
    HeapTuple row = prepare_tuple(w, tuple);
    const Size length = MAXALIGN(row->t_len);
    if (length > MaxHeapTupleSize)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("row is too big: size %zu, maximum size %zu", length,
                               static_cast<Size>(MaxHeapTupleSize))));
    // As heap_insert: keep the fillfactor's share free, but never leave a page empty. (Free
    // space is 0 once a page has MaxHeapTuplesPerPage rows.)
    if (!page_is_empty(w) && length + w->free_space_to_keep > PageGetHeapFreeSpace(w->page.data))
        write_page(w);
    OffsetNumber offset = PageAddItem(w->page.data, reinterpret_cast<Item>(row->t_data), row->t_len,
                                      InvalidOffsetNumber, false, true);
    if (offset == InvalidOffsetNumber)
        elog(ERROR, "heap page writer: failed to add a row of %u bytes to block %u", row->t_len,
             w->next_block);
    // The stored row points to itself: it is the newest version of itself.
    auto on_page = reinterpret_cast<HeapTupleHeader>(
        PageGetItem(w->page.data, PageGetItemId(w->page.data, offset)));
    ItemPointerSet(&on_page->t_ctid, w->next_block, offset);
}

void heap_page_writer_finish(HeapPageWriter *w) {
    if (!page_is_empty(w))
        write_page(w);
    if (w->pages_written > 0 && RelationNeedsWAL(w->rel))
        smgrimmedsync(RelationGetSmgr(w->rel), MAIN_FORKNUM);
}

} // namespace socrata::pg
