#!/usr/bin/env bash
# Crash recovery of a first load's pages. crime.bulk_insert writes them straight to the table's
# file (src/pg/heap_page_writer.cpp), so the buffer manager never sees them: after a crash, WAL
# replay alone must bring them back. The test commits such a load, stops the cluster the way a
# crash would (immediate: no shutdown checkpoint), empties the table's file as if the writes had
# never reached the disk, restarts, and checks every row is back and amcheck finds the pages
# sound. Needs the test cluster of scripts/test.sh running; restarts it. Prints TAP.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
PGDATA=$RUN_DIR/pgdata
DB=crash_recovery_test
as_postgres() {
    if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}
q() { "$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

"$PG_BINDIR/psql" -X -q -d postgres -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION chicago_crime CASCADE" \
  -c "CREATE EXTENSION amcheck" \
  -c "CREATE TABLE loaded (id integer NOT NULL, pad text) WITH (autovacuum_enabled = off)"
# Autovacuum stays off the table: when it visits the new database (within autovacuum_naptime),
# its VACUUM and ANALYZE read the table through a 32-buffer ring and touch the free space and
# visibility maps, which the count of cached pages below would take for the load's. One CI run
# counted 34; a load left alone for 75 s had 36 cached (32 of the table, 4 of its maps).
# A checkpoint first: replay starts here, before the load. synchronous_commit on: the cluster
# runs with it off, and an asynchronous commit may rightly be lost in a crash.
q -c "CHECKPOINT" -c "SET synchronous_commit = on" -c "BEGIN" \
  -c "LOCK TABLE loaded IN ACCESS EXCLUSIVE MODE" \
  -c "SELECT crime.bulk_insert('loaded', \$\$SELECT g AS id, md5(g::text) AS pad FROM generate_series(1, 200000) g\$\$)" \
  -c "COMMIT" >/dev/null
file=$PGDATA/$(q -c "SELECT pg_relation_filepath('loaded')")
cached=$(q -c "CREATE EXTENSION pg_buffercache" \
           -c "SELECT count(*) FROM pg_buffercache WHERE relfilenode = pg_relation_filenode('loaded')")

as_postgres "$PG_BINDIR/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null
size_before=$(stat -c %s "$file")
truncate -s 0 "$file"
as_postgres "$PG_BINDIR/pg_ctl" -D "$PGDATA" -l "$RUN_DIR/postgres.log" -w start >/dev/null

status=0
check() { # check DESCRIPTION GOT WANT
    if [[ $2 == "$3" ]]; then echo "ok - $1"; else echo "not ok - $1: got '$2', want '$3'"; status=1; fi
}
echo "1..4"
check "the load bypassed the buffer cache (${cached} of its pages cached)" "$((cached < 5))" 1
check "replay rebuilt the emptied file ($size_before bytes)" "$(stat -c %s "$file")" "$size_before"
check "every row is back" "$(q -c "SELECT count(*) || ' ' || sum(id) FROM loaded")" "200000 20000100000"
check "amcheck finds the replayed pages sound" "$(q -c "SELECT count(*) FROM verify_heapam('loaded')")" 0
"$PG_BINDIR/psql" -X -q -d postgres -c "DROP DATABASE $DB"
exit $status
