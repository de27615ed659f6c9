#!/usr/bin/env bash
# Instructions of one foreign-table scan, counted by callgrind, printed (not asserted): a figure
# that does not move with the machine's load. Wall times of the same scan vary by 10-30% on a
# shared machine, more than most single optimizations change them (docs/benchmark.md,
# "Session 44"). The scan runs in a single-user backend under valgrind; both of its threads
# (the fetch thread and the backend's own) are counted, the SODA server is not.
#   bench/scan_instructions.sh [N] [QUERY]
# N rows of generated crimes (default 300000; bench/out/crimes-N.csv.gz, generated if missing),
# QUERY the bench's full-row scan by default. Prints the scan's instructions, those of a backend
# that only runs SELECT 1, and the difference per row. Own cluster and server (.run/bench-cg,
# ports 25435/25483; BENCH_CG_RUN_DIR, BENCH_CG_PGPORT, BENCH_CG_SODA_PORT override them),
# stopped on exit. Needs `make install` and valgrind (scripts/install-deps.sh --bench).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-300000}
QUERY=${2:-SELECT count(*) FROM crime.portal_crimes c WHERE c IS NULL}
export RUN_DIR=${BENCH_CG_RUN_DIR:-$REPO/.run/bench-cg}
export PGPORT=${BENCH_CG_PGPORT:-25435}
export SODA_PORT=${BENCH_CG_SODA_PORT:-25483}
command -v valgrind >/dev/null || { echo "scan_instructions: valgrind is missing (scripts/install-deps.sh --bench)" >&2; exit 1; }
source "$REPO/bench/own_setup.sh" "$N"
"$PG_BINDIR/psql" -qX -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
    -c "CREATE EXTENSION chicago_crime CASCADE" \
    -c "ALTER SERVER chicago_data_portal OPTIONS (SET base_url '$SODA_URL', ADD page_size '10000', ADD use_gzip 'false')" \
    >/dev/null

as_postgres() {
    if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}
# Single-user mode needs the data directory to itself: a clean shutdown first.
as_postgres "$PG_BINDIR/pg_ctl" -D "$RUN_DIR/pgdata" -m fast -w stop >/dev/null
OUT=$RUN_DIR/callgrind
mkdir -p "$OUT"
chown postgres: "$OUT" 2>/dev/null || true

# -> the instructions callgrind counted for a single-user backend running $1. A backend that
# fails (its exit status, or an ERROR, FATAL or PANIC line) or a profile without totals stops
# the script: a count of a failed run is no measurement (review helper-87).
# A server message line (after the log line prefix, "... [pid] ", if any).
FAILED='(^|\] )(ERROR|FATAL|PANIC):  '
count() {
    local file=$OUT/$2.out log=$OUT/$2.log total
    rm -f "$file"
    if ! echo "$1;" | as_postgres valgrind --tool=callgrind --callgrind-out-file="$file" \
        "$PG_BINDIR/postgres" --single -D "$RUN_DIR/pgdata" "$PGDATABASE" >"$log" 2>&1 ||
        grep -Eq "$FAILED" "$log"; then
        echo "scan_instructions: the backend running \"$1\" failed ($log):" >&2
        grep -E -A3 "$FAILED" "$log" >&2 || tail -5 "$log" >&2
        exit 1
    fi
    total=$(awk '/^(summary|totals):/ { print $2; exit }' "$file" 2>/dev/null)
    [[ -n $total ]] || { echo "scan_instructions: no totals in $file" >&2; exit 1; }
    echo "$total"
}
scan=$(count "$QUERY" scan)
idle=$(count "SELECT 1" idle)
awk -v s="$scan" -v i="$idle" -v n="$N" -v q="$QUERY" 'BEGIN {
    printf "query: %s\nrows: %d\n", q, n
    printf "instructions: %.3f G (a backend running SELECT 1: %.3f G)\n", s / 1e9, i / 1e9
    printf "per row: %.0f\n", (s - i) / n
}'
echo "callgrind profiles: $OUT/scan.out (callgrind_annotate $OUT/scan.out)"
