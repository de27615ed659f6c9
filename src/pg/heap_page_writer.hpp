// Writes new heap pages straight to the table's file, past its end, the way CREATE INDEX and
// CLUSTER write theirs: filled in private memory, WAL-logged whole, never in the shared buffer
// cache. crime.bulk_insert uses it for the first load, when the loading transaction holds the
// table's ACCESS EXCLUSIVE lock and the table has no index: nobody else can read or extend the
// file, and there is no index entry to make per row.
#pragma once

#include "pg_headers.hpp"

namespace socrata::pg {

// Plain C data in the caller's memory context: the executor's callbacks own its lifetime.
struct HeapPageWriter {
    Relation rel;
    TransactionId xid;
    CommandId cid;
    Size free_space_to_keep; // bytes the table's fillfactor leaves free on each page
    BlockNumber next_block;  // where the page being filled goes
    PGAlignedBlock page;     // the page being filled
    uint64 pages_written;
};

// Whether rows for rel may be written this way now: the transaction holds rel's ACCESS
// EXCLUSIVE lock, rel is a permanent table without indexes, and it is not logically logged
// (a logical decoder reads heap inserts, not whole pages).
bool can_write_heap_pages(Relation rel, int index_count);

void heap_page_writer_start(HeapPageWriter *w, Relation rel, CommandId cid);

// Adds a row (formed in a short-lived context; it may be toasted first, as heap_insert would).
void heap_page_writer_add(HeapPageWriter *w, HeapTuple tuple);

// Writes the last page and makes the pages durable as heap_insert's would be at commit.
void heap_page_writer_finish(HeapPageWriter *w);

} // namespace socrata::pg
