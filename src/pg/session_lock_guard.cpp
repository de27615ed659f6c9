// crime.guard_session_lock(key, armed): while armed, a transaction of this session that ends in
// an error releases the session-level advisory lock `key`.
//
// crime_backfill() commits after every window, so it holds the warehouse's lock at session
// level, and releases it in its error handler. But PL/pgSQL checks for a pending cancel before
// each statement, and a COMMIT cannot sit inside a block with an exception handler: a cancel
// that lands during a window's COMMIT or just after it is raised outside any handler. The
// session, idle again and still connected (psql after Ctrl-C), then kept the lock, and every
// other session's sync and backfill was refused (55P03) until it disconnected. Postgres runs
// this callback on every top-level abort, wherever the error was raised.
#include "pg_guard.hpp"

extern "C" {
#include "access/xact.h"
#include "miscadmin.h"
#include "storage/lock.h"

PGDLLEXPORT Datum socrata_guard_session_lock(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(socrata_guard_session_lock);
}

namespace {

bool guard_armed = false;
int64 guarded_key = 0;
bool callback_registered = false;

// The lock pg_advisory_lock(bigint) takes.
LOCKTAG advisory_tag(int64 key) {
    LOCKTAG tag;
    SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, static_cast<uint32>(key >> 32),
                         static_cast<uint32>(key), 1);
    return tag;
}

// Plain Postgres calls only (nothing here throws), run by AbortTransaction.
void release_on_abort(XactEvent event, void *) {
    if (event != XACT_EVENT_ABORT || !guard_armed)
        return;
    guard_armed = false;
    LOCKTAG tag = advisory_tag(guarded_key);
    if (LockHeldByMe(&tag, ExclusiveLock))
        LockRelease(&tag, ExclusiveLock, true);
}

} // namespace

Datum socrata_guard_session_lock(PG_FUNCTION_ARGS) {
    int64 key = PG_GETARG_INT64(0);
    bool armed = PG_GETARG_BOOL(1);
    return socrata::pg::entry([&] {
        socrata::pg::call([&] {
            if (!callback_registered) {
                RegisterXactCallback(release_on_abort, nullptr);
                callback_registered = true;
            }
        });
        guard_armed = armed;
        guarded_key = key;
        return static_cast<Datum>(0);
    });
}
