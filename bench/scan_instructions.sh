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
psql -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION chicago_crime CASCADE" \
    -c "ALTER SERVER chicago_data_portal OPTIONS (SET base_url '$SODA_URL', ADD page_size '10000', ADD use_gzip 'false')" \
    >/dev/null 2>&1

as_postgres() {
    if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}
# Single-user mode needs the data directory to itself: a clean shutdown first.
as_postgres "$PG_BINDIR/pg_ctl" -D "$RUN_DIR/pgdata" -m fast -w stop >/dev/null
OUT=$RUN_DIR/callgrind
mkdir -p "$OUT"
chown postgres: "$OUT" 2>/dev/null || true

# -> the instructions callgrind counted for a single-user backend running $1
count() {
    local file=$OUT/$2.out
    rm -f "$file"
    echo "$1;" | as_postgres valgrind --tool=callgrind --callgrind-out-file="$file" \
        "$PG_BINDIR/postgres" --single -D "$RUN_DIR/pgdata" "$PGDATABASE" >"$OUT/$2.log" 2>&1
    if grep -q "ERROR" "$OUT/$2.log"; then
        echo "scan_instructions: the query failed:" >&2
        grep -A3 "ERROR" "$OUT/$2.log" >&2
        exit 1
    fi
    awk '/^(summary|totals):/ { print $2; exit }' "$file"
}
scan=$(count "$QUERY" scan)
idle=$(count "SELECT 1" idle)
awk -v s="$scan" -v i="$idle" -v n="$N" -v q="$QUERY" 'BEGIN {
    printf "query: %s\nrows: %d\n", q, n
    printf "instructions: %.3f G (a backend running SELECT 1: %.3f G)\n", s / 1e9, i / 1e9
    printf "per row: %.0f\n", (s - i) / n
}'
echo "callgrind profiles: $OUT/scan.out (callgrind_annotate $OUT/scan.out)"
