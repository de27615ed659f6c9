// crime.only_removable_rows(table): whether every row version in a table's file is one VACUUM
// could remove now, so that emptying the file (TRUNCATE) takes away nothing any snapshot sees.
//
// A first load appends to crime.incidents' file, after the pages an aborted load left (rows no
// one will ever see) or rows deleted by hand. TRUNCATE would drop those pages, but it is not
// MVCC-safe: a transaction whose snapshot is older than the DELETE would then find the table
// empty instead of the rows it should still see, and a row committed after this transaction's
// own snapshot would go unseen, and be lost. The vacuum horizon answers exactly that question,
// for every snapshot there is (this session's, other sessions', standbys' through their feedback,
// replication slots): a row version dead for all of them is HEAPTUPLE_DEAD; a live one, a
// recently deleted one or one still being inserted or deleted is not.
#include "pg_guard.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/tableam.h"
#include "storage/bufmgr.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"

PGDLLEXPORT Datum socrata_only_removable_rows(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(socrata_only_removable_rows);
}

namespace {

// Plain Postgres calls (run under pg::call). The pages go through a small ring of buffers (the
// file can hold gigabytes of an aborted load), and the scan stops at the first row version
// someone may still see.
bool every_row_removable(Relation rel) {
    const TransactionId horizon = GetOldestNonRemovableTransactionId(rel);
    BufferAccessStrategy ring = GetAccessStrategy(BAS_BULKREAD);
    const BlockNumber blocks = RelationGetNumberOfBlocks(rel);
    bool removable = true;
    for (BlockNumber block = 0; block < blocks && removable; ++block) {
        CHECK_FOR_INTERRUPTS();
        Buffer buffer = ReadBufferExtended(rel, MAIN_FORKNUM, block, RBM_NORMAL, ring);
        LockBuffer(buffer, BUFFER_LOCK_SHARE);
        Page page = BufferGetPage(buffer);
        const OffsetNumber last = PageGetMaxOffsetNumber(page);
        for (OffsetNumber offset = FirstOffsetNumber; offset <= last && removable;
             offset = OffsetNumberNext(offset)) {
            ItemId item = PageGetItemId(page, offset);
            if (!ItemIdIsNormal(item))
                continue; // unused, already dead, or a redirect to a version checked on its own
            HeapTupleData tuple;
            tuple.t_data = reinterpret_cast<HeapTupleHeader>(PageGetItem(page, item));
            tuple.t_len = ItemIdGetLength(item);
            tuple.t_tableOid = RelationGetRelid(rel);
            ItemPointerSet(&tuple.t_self, block, offset);
            removable = HeapTupleSatisfiesVacuum(&tuple, horizon, buffer) == HEAPTUPLE_DEAD;
        }
        UnlockReleaseBuffer(buffer);
    }
    FreeAccessStrategy(ring);
    return removable;
}

} // namespace

Datum socrata_only_removable_rows(PG_FUNCTION_ARGS) {
    Oid target = PG_GETARG_OID(0);
    return socrata::pg::entry([&] {
        bool removable = socrata::pg::call([&] {
            // It tells whether rows exist (visible or not): as much as reading the table does.
            AclResult acl = pg_class_aclcheck(target, GetUserId(), ACL_SELECT);
            if (acl != ACLCHECK_OK)
                aclcheck_error(acl, OBJECT_TABLE, get_rel_name(target));
            Relation rel = table_open(target, AccessShareLock);
            if (rel->rd_rel->relkind != RELKIND_RELATION ||
                rel->rd_tableam != GetHeapamTableAmRoutine())
                ereport(ERROR,
                        (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                         errmsg("\"%s\" is not a heap table", RelationGetRelationName(rel))));
            bool result = every_row_removable(rel);
            table_close(rel, AccessShareLock);
            return result;
        });
        return BoolGetDatum(removable);
    });
}
