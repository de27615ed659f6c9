#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster under $RUN_DIR, owned by the postgres user, listening only on
# a Unix socket in $RUN_DIR/sock, with pg_cron preloaded.
#   scripts/cluster.sh start   (re)creates it from scratch: stops a stale one first
#   scripts/cluster.sh stop
# CLUSTER_INITDB_OPTIONS adds initdb options (scripts/test.sh: --data-checksums); CLUSTER_CONF adds
# lines to postgresql.conf (bench/run.sh: huge_pages).
set -euo pipefail
source "$(dirname "$0")/env.sh"
PGDATA=$RUN_DIR/pgdata
LOG=$RUN_DIR/postgres.log

as_postgres() {
    if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}

stop() {
    if [[ -f $PGDATA/postmaster.pid ]]; then
        as_postgres "$PG_BINDIR/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    # A server whose run directory was deleted under it (rm -rf .run, git clean -fdx) has no pid
    # file left to be stopped by: found by its command line, it gets an immediate shutdown.
    local pid pattern
    pattern=$(printf '%s' "$PG_BINDIR/postgres -D $PGDATA" | sed 's/[][\\.*^$+?(){}|]/\\&/g')
    for pid in $(pgrep -u postgres -x -f "$pattern" || true); do
        kill -QUIT "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
}

start() {
    stop
    rm -rf "$PGDATA" "$PGHOST"
    mkdir -p "$RUN_DIR" "$PGHOST"
    chown postgres: "$RUN_DIR" "$PGHOST"
    # The server runs as postgres, which must reach $RUN_DIR through every directory above it: a
    # clone under /root, or made with umask 077, is closed to it.
    if ! as_postgres test -x "$RUN_DIR" -a -w "$RUN_DIR"; then
        echo "cluster: the postgres user cannot enter $RUN_DIR (a directory above it is closed to" \
            "other users, e.g. /root). Clone the repository elsewhere (e.g. under /srv or /tmp)," \
            "or set RUN_DIR to a directory postgres can reach, e.g. RUN_DIR=/tmp/chicago-crime-run" >&2
        exit 1
    fi
    # The server's socket path (directory + /.s.PGSQL.<port>) must fit in 107 bytes.
    local socket_bytes
    socket_bytes=$(LC_ALL=C; printf '%s' "$PGHOST/.s.PGSQL.$PGPORT" | wc -c)
    if ((socket_bytes > 107)); then
        echo "cluster: the socket directory $PGHOST is too long for a Unix socket (at most 107" \
            "bytes with /.s.PGSQL.$PGPORT): set RUN_DIR to a shorter path" >&2
        exit 1
    fi
    # shellcheck disable=SC2086 # options, word-split on purpose
    as_postgres "$PG_BINDIR/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 ${CLUSTER_INITDB_OPTIONS:-} >/dev/null
    cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = ''
port = $PGPORT
unix_socket_directories = '${PGHOST//\'/\'\'}'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
max_wal_size = 4GB
max_worker_processes = 16
shared_preload_libraries = 'pg_cron'
cron.database_name = '${PGDATABASE//\'/\'\'}'
cron.use_background_workers = on
log_min_messages = warning
${CLUSTER_CONF:-}
CONF
    if ! as_postgres "$PG_BINDIR/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 60 start >/dev/null; then
        echo "cluster: PostgreSQL did not start; the end of $LOG:" >&2
        tail -n 20 "$LOG" >&2
        exit 1
    fi
    "$PG_BINDIR/psql" -X -q -d postgres -v ON_ERROR_STOP=1 -v db="$PGDATABASE" \
        <<<'CREATE DATABASE :"db"' >/dev/null
    echo "cluster: PostgreSQL $("$PG_BINDIR/postgres" -V | awk '{print $3}') on socket $PGHOST port $PGPORT, database $PGDATABASE"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
